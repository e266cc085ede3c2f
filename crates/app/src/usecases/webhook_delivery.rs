//! Delivering events to webhook subscriptions. A consumer of the outbox relay fans each event
//! out (one delivery and one job per subscription that wants it, never inside the request
//! that caused the event); the `webhook.deliver` job signs and posts it, records the attempt,
//! and retries on the published schedule. A 410 disables the subscription at once; a
//! subscription whose deliveries all failed for `disable_after_hours` is disabled too, each
//! with a `webhook.disabled` event. Deliveries of one aggregate leave in order.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{
    Clock, DeliveryFilter, JobFinish, JobGroup, JobHandler, SignedPost, SubscriptionHealth,
    WebhookSender, WebhookStore,
};
use crate::usecases::events::{job_event, job_payload};
use crate::usecases::webhooks::{get_subscription, payload};
use crate::webhook_signing::signature_header;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use std::sync::Arc;
use uuid::Uuid;
use ventros_domain::event::{EventEnvelope, EventType};
use ventros_domain::job::Job;
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::Scope;
use ventros_domain::webhook::{
    Attempt, DELIVERY_JOB, Delivery, DeliveryJob, DeliveryStatus, Subscription, next_attempt_at,
};

/// The consumer name deliveries are deduplicated under.
pub const FAN_OUT: &str = "webhook_fan_out";

/// How long a delivery waits when an earlier event of its aggregate is still on its way.
const ORDER_WAIT_SECONDS: i64 = 5;

/// How long a delivery waits when its endpoint has `max_in_flight` deliveries on their way.
const SLOT_WAIT_SECONDS: i64 = 1;

/// How long a slot is held at most: twice the sender's 15 s timeout, so only a worker
/// killed mid-post leaves one behind, and only for this long.
const SLOT_LEASE_SECONDS: i64 = 30;

fn new_delivery(s: &Subscription, e: &EventEnvelope, now: DateTime<Utc>) -> Delivery {
    Delivery {
        id: Uuid::now_v7(),
        tenant_id: s.tenant_id,
        project_id: s.project_id,
        subscription_id: s.id,
        event_id: e.id,
        event_type: e.event_type.clone(),
        aggregate_id: e.aggregate_id,
        occurred_at: e.occurred_at,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: None,
        last_status_code: None,
        last_error: None,
        created_at: now,
        updated_at: now,
        delivered_at: None,
    }
}

/// One delivery per subscription of the event's project that wants it (a `webhook.test`
/// only to the subscription it names), each with its job.
pub async fn fan_out(
    store: &dyn WebhookStore,
    clock: &dyn Clock,
    event: &EventEnvelope,
) -> AppResult<usize> {
    let scope = Scope {
        tenant_id: event.tenant_id,
        project_id: event.project_id,
    };
    let now = clock.now();
    let targets: Vec<Subscription> = if event.event_type == EventType::WebhookTest.as_str() {
        store
            .get_subscription(scope, event.aggregate_id)
            .await?
            .into_iter()
            .collect()
    } else {
        store
            .enabled_subscriptions(scope)
            .await?
            .into_iter()
            .filter(|s| s.wants(&event.event_type))
            .collect()
    };
    if targets.is_empty() {
        // Nothing to deliver, nothing to remember: handling it again finds nothing either.
        return Ok(0);
    }
    let deliveries: Vec<Delivery> = targets
        .iter()
        .map(|s| new_delivery(s, event, now))
        .collect();
    let jobs: Vec<Job> = deliveries
        .iter()
        .map(|d| DeliveryJob::job(d, now, now))
        .collect();
    store.fan_out(FAN_OUT, event, &deliveries, &jobs).await?;
    Ok(deliveries.len())
}

pub struct DeliveryHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub sender: Arc<dyn WebhookSender>,
    pub clock: Arc<dyn Clock>,
    /// Disable a subscription whose deliveries have all failed for this long.
    pub disable_after_hours: u32,
    /// `User-Agent` of every delivery.
    pub user_agent: String,
    /// Deliveries on their way to one subscription at once, across every worker process.
    pub max_in_flight: u32,
}

/// How an attempt ended, as the delivery and the subscription see it.
enum Outcome {
    Delivered,
    /// 410: the endpoint says it is gone for good.
    Gone,
    Failed,
}

impl<S: WebhookStore + ?Sized> DeliveryHandler<S> {
    /// The subscription as disabling leaves it, for its event.
    fn disable(
        &self,
        job: &Job,
        s: &mut Subscription,
        reason: &str,
        now: DateTime<Utc>,
        failing_since: Option<DateTime<Utc>>,
    ) -> SubscriptionHealth {
        s.enabled = false;
        s.disabled_reason = Some(reason.to_string());
        s.updated_at = now;
        s.failing_since = s.failing_since.or(failing_since);
        let mut p = payload(s);
        p["reason"] = serde_json::json!(reason);
        SubscriptionHealth::Disable {
            reason: reason.to_string(),
            at: now,
            failing_since,
            event: Box::new(job_event(job, EventType::WebhookDisabled, s.id, now, p)),
        }
    }

    /// Gives up on a delivery without an attempt (the subscription is gone or disabled, the
    /// event left the log).
    async fn abandon(&self, mut d: Delivery, why: &str) -> AppResult<JobFinish> {
        d.status = DeliveryStatus::Dead;
        d.last_error = Some(why.to_string());
        d.next_attempt_at = None;
        d.updated_at = self.clock.now();
        self.store.record_attempt(&d, None, None, None).await?;
        Ok(JobFinish::Done)
    }
}

#[async_trait]
impl<S: WebhookStore + ?Sized + 'static> JobHandler for DeliveryHandler<S> {
    fn kind(&self) -> &'static str {
        DELIVERY_JOB
    }

    /// Deliveries run side by side; each endpoint gets at most `max_in_flight` at once, and
    /// one aggregate's events still leave in order (`earlier_pending`).
    fn concurrent(&self) -> bool {
        true
    }

    /// One endpoint's deliveries queue in the process beyond its cap rather than being
    /// put off (the slots still hold the cap across processes), and one aggregate's follow
    /// each other rather than waiting out `ORDER_WAIT_SECONDS`.
    fn group(&self, job: &Job) -> Option<JobGroup> {
        let p: DeliveryJob = serde_json::from_value(job.payload.clone()).ok()?;
        Some(JobGroup {
            key: p.subscription_id?.to_string(),
            cap: usize::try_from(self.max_in_flight.max(1)).unwrap_or(1),
            chain: p.aggregate_id.map(|a| a.to_string()),
        })
    }

    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let p: DeliveryJob = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        let scope = job.scope();
        let now = self.clock.now();
        let Some(d) = self.store.get_delivery(scope, p.delivery_id).await? else {
            return Ok(JobFinish::Done);
        };
        if d.status != DeliveryStatus::Pending {
            return Ok(JobFinish::Done);
        }
        // Fire then check: a job that runs early (a crash after the attempt was recorded)
        // waits for the attempt's own time.
        if let Some(at) = d.next_attempt_at.filter(|at| *at > now) {
            return Ok(JobFinish::RunAt(at));
        }
        let Some(sub) = self
            .store
            .get_subscription(scope, d.subscription_id)
            .await?
        else {
            return self.abandon(d, "the subscription was deleted").await;
        };
        let test = d.event_type == EventType::WebhookTest.as_str();
        if !sub.enabled && !test {
            return self.abandon(d, "the subscription is disabled").await;
        }
        if self.store.earlier_pending(&d).await? {
            return Ok(JobFinish::RunAt(
                now + Duration::seconds(ORDER_WAIT_SECONDS),
            ));
        }
        let Some(event) = self.store.delivery_event(&d).await? else {
            return self
                .abandon(d, "the event is no longer in the event log")
                .await;
        };
        let lease = now + Duration::seconds(SLOT_LEASE_SECONDS);
        if !self
            .store
            .acquire_delivery_slot(&d, self.max_in_flight, now, lease)
            .await?
        {
            return Ok(JobFinish::RunAt(now + Duration::seconds(SLOT_WAIT_SECONDS)));
        }
        let done = self.attempt(job, d.clone(), sub, &event, now).await;
        // A recorded attempt freed the slot with it; one that was not gives it back here.
        if done.is_err()
            && let Err(e) = self.store.release_delivery_slot(&d).await
        {
            // Its lease frees it soon enough.
            tracing::warn!(delivery_id = %d.id, error = %e, "webhook slot not released");
        }
        done
    }
}

impl<S: WebhookStore + ?Sized> DeliveryHandler<S> {
    /// One signed POST of `event` and its record; the slot is held meanwhile.
    async fn attempt(
        &self,
        job: &Job,
        mut d: Delivery,
        mut sub: Subscription,
        event: &EventEnvelope,
        now: DateTime<Utc>,
    ) -> AppResult<JobFinish> {
        let body = serde_json::to_vec(event)
            .map_err(|e| AppError::internal(format!("event encoding: {e}")))?;
        let id = event.id.to_string();
        let ts = now.timestamp();
        let secrets: Vec<&str> = sub
            .signing_secrets(now)
            .into_iter()
            .map(|s| s.expose())
            .collect();
        let post = SignedPost {
            url: sub.url.clone(),
            headers: vec![
                ("webhook-id".into(), id.clone()),
                ("webhook-timestamp".into(), ts.to_string()),
                (
                    "webhook-signature".into(),
                    signature_header(secrets, &id, ts, &body),
                ),
                ("content-type".into(), "application/json".into()),
                ("user-agent".into(), self.user_agent.clone()),
            ],
            body,
        };
        let answer = self.sender.post(&post).await;
        let done = self.clock.now();
        let mut attempt = Attempt {
            id: Uuid::now_v7(),
            delivery_id: d.id,
            attempted_at: now,
            status_code: None,
            duration_ms: (done - now).num_milliseconds().max(0),
            response_excerpt: None,
            error: None,
        };
        let outcome = match answer {
            Ok(a) => {
                attempt.status_code = Some(i32::from(a.status));
                attempt.response_excerpt = Some(a.excerpt);
                match a.status {
                    200..=299 => Outcome::Delivered,
                    410 => {
                        attempt.error = Some("status 410: the endpoint is gone".into());
                        Outcome::Gone
                    }
                    s => {
                        attempt.error = Some(format!("status {s}"));
                        Outcome::Failed
                    }
                }
            }
            Err(e) => {
                attempt.error = Some(e.to_string());
                Outcome::Failed
            }
        };
        d.attempts += 1;
        d.updated_at = done;
        d.last_status_code = attempt.status_code;
        d.last_error = attempt.error.clone();
        let health = match outcome {
            Outcome::Delivered => {
                d.status = DeliveryStatus::Succeeded;
                d.delivered_at = Some(done);
                d.next_attempt_at = None;
                sub.failing_since.map(|_| SubscriptionHealth::Healthy)
            }
            Outcome::Gone => {
                d.status = DeliveryStatus::Dead;
                d.next_attempt_at = None;
                sub.enabled
                    .then(|| self.disable(job, &mut sub, "gone", done, None))
            }
            Outcome::Failed => {
                let jitter = rand::thread_rng().gen_range(-1.0..=1.0);
                d.next_attempt_at = next_attempt_at(d.attempts, done, jitter);
                d.status = match d.next_attempt_at {
                    Some(_) => DeliveryStatus::Pending,
                    None => DeliveryStatus::Dead,
                };
                let since = sub.failing_since.unwrap_or(now);
                if sub.enabled
                    && done - since >= Duration::hours(i64::from(self.disable_after_hours))
                {
                    Some(self.disable(job, &mut sub, "failing", done, Some(since)))
                } else {
                    sub.failing_since
                        .is_none()
                        .then_some(SubscriptionHealth::Failing { since })
                }
            }
        };
        self.store
            .record_attempt(&d, Some(&attempt), health.as_ref(), None)
            .await?;
        Ok(match d.next_attempt_at {
            Some(at) => JobFinish::RunAt(at),
            None => JobFinish::Done,
        })
    }
}

/// A subscription's delivery log.
pub async fn list_deliveries(
    store: &dyn WebhookStore,
    actor: &Actor,
    subscription: Uuid,
    f: &DeliveryFilter,
    page: PageRequest,
) -> AppResult<Page<Delivery>> {
    let s = get_subscription(store, actor, subscription).await?;
    store.list_deliveries(actor.scope, s.id, f, page).await
}

/// One delivery of a subscription, with its attempts.
pub async fn get_delivery(
    store: &dyn WebhookStore,
    actor: &Actor,
    subscription: Uuid,
    id: Uuid,
) -> AppResult<(Delivery, Vec<Attempt>)> {
    actor.require(Permission::WebhooksManage)?;
    let d = store
        .get_delivery(actor.scope, id)
        .await?
        .filter(|d| d.subscription_id == subscription)
        .ok_or(AppError::NotFound("delivery"))?;
    let attempts = store.list_attempts(actor.scope, d.id).await?;
    Ok((d, attempts))
}

/// Sends a delivery again now, with the original event id: any delivery that is not on its
/// way already (dead, or succeeded and wanted again).
pub async fn retry_delivery(
    store: &dyn WebhookStore,
    clock: &dyn Clock,
    actor: &Actor,
    subscription: Uuid,
    id: Uuid,
) -> AppResult<Delivery> {
    let (mut d, _) = get_delivery(store, actor, subscription, id).await?;
    let now = clock.now();
    d.status = DeliveryStatus::Pending;
    d.next_attempt_at = None;
    d.updated_at = now;
    let job = DeliveryJob::job(&d, now, now);
    store.record_attempt(&d, None, None, Some(&job)).await?;
    Ok(d)
}

/// The most events one replay sends again.
pub const MAX_REPLAY: u32 = 10_000;

/// Sends again, with their original event ids, the events of the subscription's project that
/// happened in `[since, until)` (until: now) and that it wants, narrowed to `events` when
/// given; a delivery that exists goes back to pending, a missing one is made. How many.
pub async fn replay(
    store: &dyn WebhookStore,
    clock: &dyn Clock,
    actor: &Actor,
    subscription: Uuid,
    since: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    events: Option<Vec<String>>,
) -> AppResult<u64> {
    let s = get_subscription(store, actor, subscription).await?;
    let now = clock.now();
    let until = until.unwrap_or(now);
    if until <= since {
        return Err(AppError::validation("until", "must be after since"));
    }
    let only = events
        .map(|e| ventros_domain::webhook::validate_event_filters(&e))
        .transpose()?;
    let found = store
        .events_between(actor.scope, since, until, MAX_REPLAY + 1)
        .await?;
    if found.len() > MAX_REPLAY as usize {
        return Err(AppError::validation(
            "since",
            format!("more than {MAX_REPLAY} events in the range; replay a shorter one"),
        ));
    }
    let test = EventType::WebhookTest.as_str();
    let deliveries: Vec<Delivery> = found
        .iter()
        .filter(|e| match e.event_type == test {
            true => e.aggregate_id == s.id,
            false => s.wants(&e.event_type),
        })
        .filter(|e| {
            only.as_ref().is_none_or(|f| {
                f.iter()
                    .any(|x| ventros_domain::webhook::filter_matches(x, &e.event_type))
            })
        })
        .map(|e| new_delivery(&s, e, now))
        .collect();
    store.replay(&deliveries, now).await
}
