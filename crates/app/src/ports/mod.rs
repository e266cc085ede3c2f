//! Ports: what use cases and workers need from the outside world. Each store trait is one
//! capability; `Store` is all of them, for the composition root.

mod access_store;
mod channel_store;
mod clock;
mod conversation_store;
mod crm_store;
mod events;
mod idempotency_store;
mod ingest_tx;
mod job_store;
mod media_file_store;
mod media_store;
mod message_group_store;
mod metrics_store;
mod outbox_store;
mod passwords;
mod pipeline_store;
mod session_store;
mod store;
mod throttle_store;
mod webhook_decoder;
mod webhook_sender;
mod webhook_store;
mod whatsapp;

pub use access_store::{AccessStore, ApiKeyPrincipal, NewTenant};
pub use channel_store::{ChannelStore, WebhookChannel};
pub use clock::{Clock, FixedClock, ShiftedClock, SystemClock};
pub use conversation_store::{ConversationFilter, ConversationStore, MessageFilter};
pub use crm_store::{ContactEventFilter, ContactFilter, CrmStore, NoteFilter, SortKey};
pub use events::{EventConsumer, EventPublisher};
pub use idempotency_store::{IdempotencyClaim, IdempotencyStore};
pub use ingest_tx::{DeliveryRecord, IngestStore, IngestTx, MessageRef};
pub use job_store::{JobBacklog, JobFinish, JobGroup, JobHandler, JobKinds, JobStore};
pub use media_file_store::MediaFileStore;
pub use media_store::{MediaBytes, MediaStore, media_key};
pub use message_group_store::MessageGroupStore;
pub use metrics_store::{LiveCounts, MetricInputs, MetricsStore, ReportFilter};
pub use outbox_store::{EventFilter, EventLog, OutboxRow, OutboxStore, TimelineStore};
pub use passwords::Passwords;
pub use pipeline_store::PipelineStore;
pub use session_store::SessionStore;
pub use store::Store;
pub use throttle_store::{LoginFailureStore, RateLimitStore, ThrottleStore};
pub use webhook_decoder::{DecodeError, WebhookDecoder};
pub use webhook_sender::{EndpointAnswer, PostError, SignedPost, WebhookSender};
pub use webhook_store::{DeliveryFilter, SubscriptionHealth, WebhookStore};
pub use whatsapp::{
    ContactCard, ContactGateway, Downloaded, FileSource, GatewayError, GatewayMessage,
    GatewayResult, GatewaySession, GatewayTarget, MessageGateway, Presence, SendBody, SendFile,
    SendRequest, SessionGateway, WhatsAppGateway,
};
