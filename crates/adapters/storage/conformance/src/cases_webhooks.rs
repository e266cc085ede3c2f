//! Webhook delivery slots: the per-endpoint cap that every worker process shares.

use chrono::{Duration, Utc};
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;
use ventros_app::error::AppResult;
use ventros_app::ports::Store;
use ventros_app::ports::{Clock, JobFinish, JobHandler};
use ventros_domain::event::{EventContext, EventEnvelope, EventType};
use ventros_domain::ids::JobId;
use ventros_domain::ids::{EventId, ProjectId, TenantId};
use ventros_domain::job::Job;
use ventros_domain::webhook::{Attempt, DELIVERY_JOB, Delivery, DeliveryJob, DeliveryStatus};
use ventros_workers::{JobRunner, JobRunnerConfig};

fn delivery(tenant: TenantId, subscription: Uuid) -> Delivery {
    let now = Utc::now();
    Delivery {
        id: Uuid::now_v7(),
        tenant_id: tenant,
        project_id: ProjectId::new(),
        subscription_id: subscription,
        event_id: EventId::new(),
        event_type: "message.received".into(),
        aggregate_id: Uuid::now_v7(),
        occurred_at: now,
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

pub async fn delivery_slots_hold_the_cap_until_released_or_expired(store: Arc<dyn Store>) {
    let t = crate::support::tenant(&store, "slots").await;
    let tenant = t.scope.tenant_id;
    let (sub, other) = (Uuid::now_v7(), Uuid::now_v7());
    let now = Utc::now();
    let lease = now + Duration::seconds(60);
    let d: Vec<Delivery> = (0..3).map(|_| delivery(tenant, sub)).collect();
    assert!(
        store
            .acquire_delivery_slot(&d[0], 2, now, lease)
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_delivery_slot(&d[1], 2, now, lease)
            .await
            .unwrap()
    );
    assert!(
        !store
            .acquire_delivery_slot(&d[2], 2, now, lease)
            .await
            .unwrap(),
        "both slots are held"
    );
    assert!(
        store
            .acquire_delivery_slot(&d[0], 2, now, lease)
            .await
            .unwrap(),
        "a holder asking again keeps its slot"
    );
    let elsewhere = delivery(tenant, other);
    assert!(
        store
            .acquire_delivery_slot(&elsewhere, 2, now, lease)
            .await
            .unwrap(),
        "another endpoint has its own slots"
    );
    store.release_delivery_slot(&d[0]).await.unwrap();
    assert!(
        store
            .acquire_delivery_slot(&d[2], 2, now, lease)
            .await
            .unwrap()
    );
    // Recording an attempt frees the slot in the same commit.
    let attempt = Attempt {
        id: Uuid::now_v7(),
        delivery_id: d[1].id,
        attempted_at: now,
        status_code: Some(200),
        duration_ms: 3,
        response_excerpt: None,
        error: None,
    };
    store
        .record_attempt(&d[1], Some(&attempt), None, None)
        .await
        .unwrap();
    assert!(
        store
            .acquire_delivery_slot(&d[0], 2, now, lease)
            .await
            .unwrap(),
        "the recorded attempt gave its slot back"
    );
    // A holder that died frees its slot when its lease runs out.
    let late = delivery(tenant, sub);
    assert!(
        !store
            .acquire_delivery_slot(&late, 2, now, lease)
            .await
            .unwrap()
    );
    let after = lease + Duration::seconds(1);
    assert!(
        store
            .acquire_delivery_slot(&late, 2, after, after + Duration::seconds(60))
            .await
            .unwrap()
    );
}

/// Runs webhook deliveries by reporting their ids.
struct Reported(tokio::sync::mpsc::UnboundedSender<JobId>);

#[async_trait::async_trait]
impl JobHandler for Reported {
    fn kind(&self) -> &'static str {
        DELIVERY_JOB
    }
    fn concurrent(&self) -> bool {
        true
    }
    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let _ = self.0.send(job.id);
        Ok(JobFinish::Done)
    }
}

/// The store raises `signal` after a commit that armed webhook deliveries (not after one that
/// armed none), and a runner woken by it runs them at once, long before its idle poll.
pub async fn armed_deliveries_wake_the_job_runner(store: Arc<dyn Store>, signal: Arc<Notify>) {
    let t = crate::support::tenant(&store, "wake").await;
    let clock = Arc::new(crate::support::clock());
    let now = clock.now();
    let fan_out = |n: usize| {
        let event = EventEnvelope::new(
            &EventContext::default(),
            t.scope.tenant_id,
            t.scope.project_id,
            EventType::MessageReceived,
            Uuid::now_v7(),
            now,
            serde_json::json!({}),
        );
        let ds: Vec<Delivery> = (0..n)
            .map(|_| Delivery {
                event_id: event.id,
                project_id: t.scope.project_id,
                ..delivery(t.scope.tenant_id, Uuid::now_v7())
            })
            .collect();
        let jobs: Vec<Job> = ds.iter().map(|d| DeliveryJob::job(d, now, now)).collect();
        let store = store.clone();
        async move {
            assert!(
                store
                    .fan_out("wake_test", &event, &ds, &jobs)
                    .await
                    .unwrap()
            );
            jobs
        }
    };
    let woken = || crate::cases_outbox::woken(&signal);
    assert!(!woken().await, "nothing armed yet");
    fan_out(0).await;
    assert!(!woken().await, "an event for no subscription arms nothing");

    let (tx, mut ran) = tokio::sync::mpsc::unbounded_channel();
    let runner = Arc::new(
        JobRunner::new(
            store.clone(),
            clock,
            JobRunnerConfig {
                idle_poll_ms: 600_000,
                ..JobRunnerConfig::default()
            },
        )
        .handle(Arc::new(Reported(tx)))
        .woken_by(signal.clone()),
    );
    let mut idles = runner.idle_waits();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let r = runner.clone();
    let running = tokio::spawn(async move { r.run(stopped).await });
    // Both loops (deliveries, and every other kind) have found nothing and wait 10 minutes.
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        idles.wait_for(|n| *n >= 2),
    )
    .await
    .expect("the runner went idle")
    .unwrap();
    let jobs = fan_out(1).await;
    let id = tokio::time::timeout(std::time::Duration::from_secs(10), ran.recv())
        .await
        .expect("the armed delivery ran without waiting for the poll")
        .unwrap();
    assert_eq!(id, jobs[0].id);
    let _ = stop.send(true);
    running.await.unwrap();
}
