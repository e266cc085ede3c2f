use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;
use ventros_domain::event::EventEnvelope;
use ventros_domain::job::Job;
use ventros_domain::tenancy::Scope;
use ventros_domain::webhook::{Attempt, Delivery, DeliveryStatus, Subscription};

/// Which deliveries of a subscription to list.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub status: Option<DeliveryStatus>,
    pub event_type: Option<String>,
    /// Events that happened at or after / before these times.
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

/// Webhook subscriptions of a project, their deliveries and attempts.
/// What an attempt says of its subscription, written as a change of those columns only, so
/// that deliveries side by side (and an admin's `PATCH` meanwhile) never undo one another.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionHealth {
    /// Delivered: the subscription is no longer failing.
    Healthy,
    /// Failed: failing since `since`, unless an earlier failure is already recorded.
    Failing { since: DateTime<Utc> },
    /// Disabled for `reason` at `at`, with its `webhook.disabled` event, which is appended
    /// only when this attempt is the one that disabled it.
    Disable {
        reason: String,
        at: DateTime<Utc>,
        failing_since: Option<DateTime<Utc>>,
        event: Box<EventEnvelope>,
    },
}

#[async_trait]
pub trait WebhookStore: Send + Sync {
    /// Inserts the subscription and its event in one transaction.
    async fn insert_subscription(&self, s: &Subscription, event: &EventEnvelope) -> AppResult<()>;
    /// Writes every field of the subscription, and the events, in one transaction.
    async fn update_subscription(
        &self,
        s: &Subscription,
        events: &[EventEnvelope],
    ) -> AppResult<()>;
    /// Appends events about a subscription that changes nothing stored (`webhook.test`).
    async fn append_webhook_events(&self, events: &[EventEnvelope]) -> AppResult<()>;
    /// Removes it (its deliveries stay in the log); `false` when it was not there.
    async fn delete_subscription(
        &self,
        scope: Scope,
        id: Uuid,
        event: &EventEnvelope,
    ) -> AppResult<bool>;
    async fn get_subscription(&self, scope: Scope, id: Uuid) -> AppResult<Option<Subscription>>;
    /// Oldest first.
    async fn list_subscriptions(
        &self,
        scope: Scope,
        page: PageRequest,
    ) -> AppResult<Page<Subscription>>;
    /// The project's enabled subscriptions.
    async fn enabled_subscriptions(&self, scope: Scope) -> AppResult<Vec<Subscription>>;
    /// Records that `consumer` handled the event and inserts its deliveries (one per
    /// subscription and event: a delivery that exists already is skipped, with its job) and
    /// their jobs, in one transaction; `false` when the consumer handled the event before.
    async fn fan_out(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        deliveries: &[Delivery],
        jobs: &[Job],
    ) -> AppResult<bool>;
    /// The event a delivery carries, from the event log.
    async fn delivery_event(&self, d: &Delivery) -> AppResult<Option<EventEnvelope>>;
    async fn get_delivery(&self, scope: Scope, id: Uuid) -> AppResult<Option<Delivery>>;
    /// A subscription's deliveries, newest event first.
    async fn list_deliveries(
        &self,
        scope: Scope,
        subscription: Uuid,
        f: &DeliveryFilter,
        page: PageRequest,
    ) -> AppResult<Page<Delivery>>;
    /// A delivery's attempts, oldest first.
    async fn list_attempts(&self, scope: Scope, delivery: Uuid) -> AppResult<Vec<Attempt>>;
    /// Takes one of the `cap` in-flight slots of the delivery's subscription until
    /// `lease_until` (shared by every worker process); `false` when all are held by other
    /// deliveries whose leases have not run out.
    async fn acquire_delivery_slot(
        &self,
        d: &Delivery,
        cap: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<bool>;
    /// Gives the delivery's slot back (recording an attempt does it too).
    async fn release_delivery_slot(&self, d: &Delivery) -> AppResult<()>;
    /// Whether an earlier event of the same aggregate is still to be delivered to the same
    /// subscription (deliveries of one aggregate go out in order).
    async fn earlier_pending(&self, d: &Delivery) -> AppResult<bool>;
    /// The project's events that happened in `[since, until)`, in outbox order, at most
    /// `limit`.
    async fn events_between(
        &self,
        scope: Scope,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> AppResult<Vec<EventEnvelope>>;
    /// Queues each delivery again (one that exists for its subscription and event goes back
    /// to pending, keeping its attempts; a missing one is inserted), each with its job, in
    /// one transaction; how many.
    async fn replay(&self, deliveries: &[Delivery], now: DateTime<Utc>) -> AppResult<u64>;
    /// Deletes finished deliveries (and their attempts) last changed before `before`, in
    /// every tenant; how many deliveries.
    async fn prune_webhook_log(&self, before: DateTime<Utc>) -> AppResult<u64>;
    /// Writes the delivery as it now stands with its new attempt, what the attempt says of
    /// its subscription and the job of the next attempt, in one transaction; with an attempt,
    /// the delivery's in-flight slot is freed in it too.
    async fn record_attempt(
        &self,
        d: &Delivery,
        attempt: Option<&Attempt>,
        health: Option<&SubscriptionHealth>,
        next: Option<&Job>,
    ) -> AppResult<()>;
}
