//! Ports: what use cases need from the outside world.

mod access_store;
mod clock;
mod crm_store;
mod events;
mod ingest_tx;
mod job_store;
mod message_group_store;
mod metrics_store;
mod pipeline_store;
mod session_store;
mod store;

pub use access_store::{AccessStore, IdempotencyClaim};
pub use clock::{Clock, FixedClock, SystemClock};
pub use crm_store::{
    ContactFilter, ConversationFilter, CrmStore, MessageFilter, NoteFilter, SortKey,
};
pub use events::{EventConsumer, EventPublisher, OutboxRow};
pub use ingest_tx::{DeliveryRecord, IngestTx, MessageRef};
pub use job_store::{JobBacklog, JobFinish, JobHandler, JobStore};
pub use message_group_store::MessageGroupStore;
pub use metrics_store::{LiveCounts, MetricInputs, MetricsStore, ReportFilter};
pub use pipeline_store::PipelineStore;
pub use session_store::SessionStore;
pub use store::{ApiKeyPrincipal, ContactEventFilter, NewTenant, Store, WebhookChannel};
