//! Ports: what use cases need from the outside world.

mod clock;
mod events;
mod ingest_tx;
mod store;

pub use clock::{Clock, FixedClock, SystemClock};
pub use events::{EventConsumer, EventPublisher, OutboxRow};
pub use ingest_tx::{DeliveryRecord, IngestTx, MessageRef};
pub use store::{
    ApiKeyPrincipal, ChatFilter, ContactEventFilter, NewTenant, SessionFilter, Store,
    WebhookChannel,
};
