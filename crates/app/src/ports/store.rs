use crate::error::AppResult;
use crate::ports::{
    AccessStore, ChannelStore, ConversationStore, CrmStore, EventLog, IdempotencyStore,
    IngestStore, JobStore, MediaFileStore, MessageGroupStore, MetricsStore, OutboxStore,
    PipelineStore, SessionStore, ThrottleStore, TimelineStore, WebhookStore,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// Everything Ventros keeps, as one handle for the composition root and the adapters that
/// serve every use case. Use cases and workers take the narrowest part they need. Every call
/// that reads or writes tenant data takes its scope, and a row of another tenant is never
/// returned (it looks missing).
#[async_trait]
pub trait Store:
    AccessStore
    + IdempotencyStore
    + ChannelStore
    + CrmStore
    + ConversationStore
    + IngestStore
    + SessionStore
    + JobStore
    + MetricsStore
    + MessageGroupStore
    + MediaFileStore
    + PipelineStore
    + OutboxStore
    + EventLog
    + TimelineStore
    + WebhookStore
    + ThrottleStore
    + Send
    + Sync
{
    /// Which backend this is (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> AppResult<()>;
    /// Connections open and idle in the pool(s), for `/metrics`.
    fn pool_state(&self) -> (u32, usize);
    /// Unpublished outbox rows of every tenant and when the oldest was written, for
    /// `/metrics` and `/ready`.
    async fn outbox_backlog(&self) -> AppResult<(i64, Option<DateTime<Utc>>)>;
    /// Leaves the database whole on disk and closes the connections, once everything that
    /// writes has stopped (SQLite folds its write-ahead log into the file, so the `.db` file
    /// alone is the database).
    async fn shutdown(&self) -> AppResult<()>;
}
