//! Retention, run hourly by the worker role: idempotency keys after 24 hours, done jobs after
//! `VENTROS_JOB_RETENTION_HOURS` (dead jobs stay until retried).

use std::sync::Arc;
use tokio::sync::watch;
use ventros_app::ports::{Clock, Store};

/// One pruning pass at `clock`'s now.
pub async fn prune_once(store: &dyn Store, clock: &dyn Clock, job_retention_hours: u32) {
    let now = clock.now();
    let keys_before = now - chrono::Duration::hours(ventros_http::IDEMPOTENCY_RETENTION_HOURS);
    match store.prune_idempotency(keys_before).await {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned idempotency keys"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning idempotency keys failed"),
    }
    let jobs_before = now - chrono::Duration::hours(i64::from(job_retention_hours));
    match store.prune_done_jobs(jobs_before).await {
        Ok(n) if n > 0 => tracing::info!(deleted = n, "pruned done jobs"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "pruning done jobs failed"),
    }
}

/// Prunes at start and then hourly, until shutdown.
pub async fn run(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    job_retention_hours: u32,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => prune_once(store.as_ref(), clock.as_ref(), job_retention_hours).await,
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
        }
    }
}
