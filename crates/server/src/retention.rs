//! Retention, run hourly by the worker role: idempotency keys after 24 hours, done jobs after
//! `VENTROS_JOB_RETENTION_HOURS` (dead jobs stay until retried), finished webhook deliveries
//! after `VENTROS_WEBHOOK_LOG_RETENTION_DAYS` (pending ones stay), and acks and early changes
//! kept for messages that never arrived after 7 days.

use std::sync::Arc;
use tokio::sync::watch;
use ventros_app::error::AppResult;
use ventros_app::ports::{Clock, Store};

fn report(what: &str, outcome: AppResult<u64>) {
    match outcome {
        Ok(n) if n > 0 => tracing::info!(deleted = n, what, "pruned"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, what, "pruning failed"),
    }
}

/// Days an ack or an early change waits for its message before it is dropped.
pub const UNMATCHED_RETENTION_DAYS: i64 = 7;

/// How long what is pruned is kept.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub job_hours: u32,
    pub webhook_log_days: u32,
}

impl Retention {
    pub fn of(cfg: &crate::config::Config) -> Self {
        Retention {
            job_hours: cfg.job_retention_hours,
            webhook_log_days: cfg.webhook_log_retention_days,
        }
    }
}

/// One pruning pass at `clock`'s now.
pub async fn prune_once(store: &dyn Store, clock: &dyn Clock, r: Retention) {
    let job_retention_hours = r.job_hours;
    let now = clock.now();
    let keys_before = now - chrono::Duration::hours(ventros_http::IDEMPOTENCY_RETENTION_HOURS);
    report(
        "idempotency keys",
        store.prune_idempotency(keys_before).await,
    );
    let jobs_before = now - chrono::Duration::hours(i64::from(job_retention_hours));
    report("done jobs", store.prune_done_jobs(jobs_before).await);
    let log_before = now - chrono::Duration::days(i64::from(r.webhook_log_days));
    report(
        "webhook deliveries",
        store.prune_webhook_log(log_before).await,
    );
    let unmatched_before = now - chrono::Duration::days(UNMATCHED_RETENTION_DAYS);
    report(
        "unmatched acks and changes",
        store.prune_unmatched(unmatched_before).await,
    );
    // The database's rate-limit buckets and login windows (when it keeps them) once spent.
    report("spent rate limits", store.prune_throttles(now).await);
}

/// Prunes at start and then hourly, until shutdown.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    retention: Retention,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => prune_once(store.as_ref(), clock.as_ref(), retention).await,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use ventros_app::ports::{FixedClock, IdempotencyClaim, IdempotencyStore, JobFinish, JobStore};
    use ventros_domain::ids::TenantId;
    use ventros_domain::job::{Job, JobStatus};
    use ventros_domain::tenancy::Scope;
    use ventros_storage_sqlite::SqliteStore;

    const KEEP: Retention = Retention {
        job_hours: 168,
        webhook_log_days: 30,
    };

    /// The pass turns the retention hours into the two cut-offs: keys go after 24 h, done
    /// jobs after the configured hours, pending jobs never.
    #[tokio::test]
    async fn a_pass_prunes_keys_after_a_day_and_done_jobs_after_their_retention() {
        let dir = ventros_testkit::TempDir::new("ventros-retention");
        let store = SqliteStore::connect(&dir.sqlite_url("r.db")).await.unwrap();
        store.migrate().await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap();
        let scope = Scope {
            tenant_id: TenantId::new(),
            project_id: ventros_domain::ids::ProjectId::new(),
        };
        for key in ["finished", "waiting"] {
            let due = if key == "finished" {
                t0
            } else {
                t0 + Duration::days(30)
            };
            store
                .arm_job(&Job::pending(
                    scope,
                    "test.kind",
                    key.into(),
                    serde_json::json!({}),
                    due,
                    t0,
                ))
                .await
                .unwrap();
        }
        let claimed = store
            .claim_jobs(10, t0, t0 + Duration::seconds(60))
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(
            store
                .finish_job(&claimed[0], &JobFinish::Done, t0)
                .await
                .unwrap()
        );
        let claim = |at| {
            let store = store.clone();
            async move {
                store
                    .claim_idempotency(
                        scope.tenant_id,
                        "api_key:1",
                        "k1",
                        "h",
                        at,
                        t0 - Duration::days(1),
                    )
                    .await
                    .unwrap()
            }
        };
        assert_eq!(claim(t0).await, IdempotencyClaim::Claimed);
        let keys = |s: &SqliteStore| {
            let s = s.clone();
            async move {
                let mut v: Vec<(String, JobStatus)> = s
                    .list_jobs(
                        scope.tenant_id,
                        None,
                        ventros_app::page::PageRequest::first(10),
                    )
                    .await
                    .unwrap()
                    .data
                    .into_iter()
                    .map(|j| (j.key, j.status))
                    .collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                v
            }
        };
        let both = vec![
            ("finished".to_string(), JobStatus::Done),
            ("waiting".to_string(), JobStatus::Pending),
        ];

        prune_once(&store, &FixedClock::new(t0 + Duration::hours(23)), KEEP).await;
        assert_eq!(
            claim(t0 + Duration::hours(23)).await,
            IdempotencyClaim::InProgress,
            "kept a day"
        );
        assert_eq!(keys(&store).await, both);

        prune_once(&store, &FixedClock::new(t0 + Duration::hours(167)), KEEP).await;
        assert_eq!(
            claim(t0 + Duration::hours(167)).await,
            IdempotencyClaim::Claimed,
            "the key went after 24 h"
        );
        assert_eq!(keys(&store).await, both, "the done job is kept 168 h");

        prune_once(&store, &FixedClock::new(t0 + Duration::hours(169)), KEEP).await;
        assert_eq!(
            keys(&store).await,
            vec![("waiting".to_string(), JobStatus::Pending)],
            "done jobs go after their retention, pending ones never"
        );
        store.close().await;
    }

    /// An ack or a reaction whose message never comes is dropped after a week.
    #[tokio::test]
    async fn unmatched_acks_and_changes_go_after_a_week() {
        use ventros_app::ports::IngestStore;
        use ventros_domain::ids::ChannelId;
        use ventros_domain::message::{DeliveryStatus, EarlyChange};
        let dir = ventros_testkit::TempDir::new("ventros-retention");
        let store = SqliteStore::connect(&dir.sqlite_url("u.db")).await.unwrap();
        store.migrate().await.unwrap();
        let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap();
        let scope = Scope {
            tenant_id: TenantId::new(),
            project_id: ventros_domain::ids::ProjectId::new(),
        };
        let ch = ChannelId::new();
        let mut tx = store.begin_ingest(scope).await.unwrap();
        tx.keep_pending_ack(ch, true, "GONE", DeliveryStatus::Read, t0)
            .await
            .unwrap();
        let change = EarlyChange::Reaction {
            reactor: "me".into(),
            text: "👍".into(),
        };
        tx.keep_early_change(ch, None, "GONE", &change, t0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Looked at in a transaction that is rolled back, so looking takes nothing.
        let kept = |store: SqliteStore| async move {
            let mut tx = store.begin_ingest(scope).await.unwrap();
            let ack = tx.take_pending_ack(ch, true, "GONE").await.unwrap();
            let changes = tx.take_early_changes(ch, true, "GONE").await.unwrap();
            drop(tx);
            (ack.is_some(), changes.len())
        };
        prune_once(&store, &FixedClock::new(t0 + Duration::days(6)), KEEP).await;
        assert_eq!(kept(store.clone()).await, (true, 1), "kept for a week");
        prune_once(&store, &FixedClock::new(t0 + Duration::days(8)), KEEP).await;
        assert_eq!(kept(store.clone()).await, (false, 0), "then dropped");
        store.close().await;
    }
}
