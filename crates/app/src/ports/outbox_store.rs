use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::EventId;
use ventros_domain::tenancy::Scope;
use ventros_domain::timeline::ContactEvent;

/// An outbox row claimed by the relay.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub seq: i64,
    pub envelope: EventEnvelope,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
}

/// The outbox as the relay sees it (and only the relay): every tenant's unpublished events.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Claims up to `limit` unpublished outbox rows (any tenant) whose lease has expired,
    /// leasing them until `lease_until`. Oldest first.
    async fn claim_outbox(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<OutboxRow>>;
    async fn mark_published(&self, seqs: &[i64], now: DateTime<Utc>) -> AppResult<()>;
}

/// The events of one tenant in outbox order: the event feed.
#[async_trait]
pub trait EventLog: Send + Sync {
    async fn list_events(
        &self,
        scope: Scope,
        f: &EventFilter,
        page: PageRequest,
    ) -> AppResult<Page<EventEnvelope>>;
    /// The position of the tenant's latest event (0 when it has none).
    async fn feed_end(&self, scope: Scope) -> AppResult<i64>;
    /// Where an event is in the feed (its outbox sequence number), if the tenant has it.
    async fn event_position(
        &self,
        scope: Scope,
        id: ventros_domain::ids::EventId,
    ) -> AppResult<Option<i64>>;
}

/// Which events of the feed to read.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// An exact type or a `prefix.*` pattern.
    pub event_type: Option<String>,
    pub aggregate_id: Option<uuid::Uuid>,
    /// Only events after this position in the feed (see `EventLog::event_position`).
    pub after_position: Option<i64>,
}

/// What the contact-timeline consumer writes, deduplicated per (event, consumer).
#[async_trait]
pub trait TimelineStore: Send + Sync {
    /// Writes a timeline entry for `consumer` unless (event, consumer) was handled before;
    /// `false` when it was. Marks the event handled even when `entry` is `None`.
    async fn apply_timeline(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        entry: Option<&ContactEvent>,
    ) -> AppResult<bool>;
    /// Whether `consumer` has handled `event`.
    async fn consumer_handled(&self, consumer: &str, event: EventId) -> AppResult<bool>;
}
