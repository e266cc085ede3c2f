//! `ventros-bench timers`: inactivity timers for N active sessions. Arming is measured on the
//! ingest path (every message re-arms its session's timer and its chat's message group) against
//! the bare-SQL ingest baseline; expiry is measured by the job runner ending every session
//! against the same runner draining as many no-op jobs (the bare job machinery), both in the
//! same run on the same engine.

use crate::db::{BODY, BaselineMessage, Db, ingest_one, tenant_and_channel};
use crate::measure::{drive, ms};
use anyhow::bail;
use async_trait::async_trait;
use chrono::{Duration as Span, Utc};
use std::sync::Arc;
use std::time::{Duration, Instant};
use ventros_app::error::AppResult;
use ventros_app::ports::{Clock, FixedClock, JobFinish, JobHandler, Store};
use ventros_domain::channel::DEFAULT_SESSION_TIMEOUT_S;
use ventros_domain::ids::JobId;
use ventros_domain::job::{DEFAULT_MAX_ATTEMPTS, Job, JobStatus};
use ventros_waha::sample;
use ventros_workers::{JobRunner, JobRunnerConfig};

const NOOP: &str = "bench.noop";

struct Noop;

#[async_trait]
impl JobHandler for Noop {
    fn kind(&self) -> &'static str {
        NOOP
    }
    async fn handle(&self, _job: &Job) -> AppResult<JobFinish> {
        Ok(JobFinish::Done)
    }
}

/// The profile picture look each new session arms: WAHA is not part of this bench, so the
/// look ends at once (as it does when the picture is fresh).
struct PictureLook;

#[async_trait]
impl JobHandler for PictureLook {
    fn kind(&self) -> &'static str {
        ventros_domain::media::PROFILE_PICTURE_JOB
    }
    async fn handle(&self, _job: &Job) -> AppResult<JobFinish> {
        Ok(JobFinish::Done)
    }
}

fn phone(i: usize) -> String {
    format!("5521{i:09}")
}

/// Runs `workers` runners until nothing is due; returns how many jobs ran and how long it took.
async fn drain(runners: Vec<JobRunner>) -> anyhow::Result<(usize, Duration)> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for r in runners {
        tasks.push(tokio::spawn(async move { r.run_until_idle().await }));
    }
    let mut n = 0;
    for t in tasks {
        n += t.await?.map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok((n, started.elapsed()))
}

fn runners(
    store: &Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    workers: usize,
    noop: bool,
) -> Vec<JobRunner> {
    (0..workers.max(1))
        .map(|_| {
            let r = JobRunner::new(store.clone(), clock.clone(), JobRunnerConfig::default());
            if noop {
                r.handle(Arc::new(Noop))
            } else {
                ventros_app::usecases::job_handlers(store.clone(), clock.clone())
                    .into_iter()
                    .fold(r, JobRunner::handle)
                    .handle(Arc::new(PictureLook))
            }
        })
        .collect()
}

pub async fn timers(
    backend: &str,
    sessions: usize,
    concurrency: usize,
    workers: usize,
    pg_admin: Option<&str>,
) -> anyhow::Result<String> {
    let now = Utc::now();
    // Messages an hour old, delivered late: every session's 30-minute timer counts from now.
    let sent = now - Span::hours(1);
    let mut out = format!(
        "bench timers: backend={backend} sessions={sessions} concurrency={concurrency} workers={workers}\n"
    );

    // Arm: one message per session through the ingest use case (arms the session's timer and
    // opens its message group), against the bare-SQL baseline doing the same writes.
    let (db, _) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (scope, channel) = tenant_and_channel(store.as_ref()).await?;
    let arm = {
        let (store, channel) = (store.clone(), channel.clone());
        drive(sessions, concurrency, move |i| {
            let (store, channel) = (store.clone(), channel.clone());
            async move {
                let body = sample::text_message(
                    Some(&format!("evt_timer_{i}")),
                    &phone(i),
                    &format!("TIMER{i:08}"),
                    false,
                    BODY,
                    sent.timestamp(),
                );
                ingest_one(store.as_ref(), &FixedClock::new(now), &channel, &body).await?;
                Ok(())
            }
        })
        .await?
    };
    let armed = store
        .list_jobs(
            scope.tenant_id,
            Some(JobStatus::Pending),
            ventros_app::page::PageRequest::first(1),
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if armed.data.is_empty() {
        bail!("no timer was armed");
    }

    // Expire: the messages arrived an hour late, so inactivity counts from their arrival;
    // a clock past that timeout lets the runners end every session (and compute its
    // metrics, flush its message group and look at the contact's picture).
    let expire_at = now + Span::seconds(DEFAULT_SESSION_TIMEOUT_S + 1);
    let clock: Arc<dyn Clock> = Arc::new(FixedClock::new(expire_at));
    let (ran, expire) = drain(runners(&store, clock.clone(), workers, false)).await?;
    let left = store
        .live_counts(scope, None)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .active;
    out.push_str(&format!(
        "arm:    {:>7.0} msg/s (p50 {:>6.2} ms, p99 {:>6.2} ms)\n",
        arm.rate(),
        ms(arm.p50),
        ms(arm.p99)
    ));
    out.push_str(&format!(
        "expire: {sessions} sessions in {:.1} s ({:.0} sessions/s; {ran} jobs: timeouts, metrics, message groups, picture looks)\n",
        expire.as_secs_f64(),
        sessions as f64 / expire.as_secs_f64().max(1e-9),
    ));
    if left != 0 {
        bail!("{left} of {sessions} sessions are still active");
    }
    db.close().await;

    // Baselines on fresh databases of the same engine.
    let (db, _) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (scope, channel) = tenant_and_channel(store.as_ref()).await?;
    let ch = channel.channel_id;
    let db = Arc::new(db);
    let base = {
        let db = db.clone();
        drive(sessions, concurrency, move |i| {
            let db = db.clone();
            async move {
                let d = phone(i);
                let m = BaselineMessage {
                    dedupe_key: format!("evt_base_{i}"),
                    phone: format!("+{d}"),
                    wa_chat_id: format!("{d}@c.us"),
                    raw_id: format!("BASE{i:08}"),
                    body: BODY.into(),
                    at: sent,
                };
                db.baseline_ingest(scope, ch, &m).await
            }
        })
        .await?
    };
    let db = Arc::try_unwrap(db).map_err(|_| anyhow::anyhow!("baseline still in use"))?;
    db.close().await;

    // As many no-op jobs as the expiry ran, on a fresh database, drained by as many runners.
    let (db, _) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (scope, _) = tenant_and_channel(store.as_ref()).await?;
    for i in 0..ran {
        let j = Job {
            id: JobId::new(),
            tenant_id: scope.tenant_id,
            project_id: scope.project_id,
            kind: NOOP.into(),
            key: format!("{NOOP}:{i}"),
            payload: serde_json::json!({}),
            run_at: sent,
            attempts: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            status: JobStatus::Pending,
            last_error: None,
            created_at: sent,
            updated_at: sent,
        };
        store
            .arm_job(&j)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let (noop_ran, noop) = drain(runners(&store, clock, workers, true)).await?;
    db.close().await;
    out.push_str(&format!(
        "baseline arm (bare SQL): {:>7.0} msg/s (p50 {:>6.2} ms) | arm throughput {:.2}x, p50 latency {:.2}x\n",
        base.rate(),
        ms(base.p50),
        arm.rate() / base.rate().max(1e-9),
        ms(arm.p50) / ms(base.p50).max(1e-9)
    ));
    out.push_str(&format!(
        "baseline expire (no-op jobs): {noop_ran} jobs in {:.1} s | expire time {:.2}x the bare job machinery for the same number of jobs",
        noop.as_secs_f64(),
        expire.as_secs_f64() / noop.as_secs_f64().max(1e-9)
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn timers_bench_arms_and_expires_every_session_on_sqlite() {
        let report = timers("sqlite", 25, 4, 2, None)
            .await
            .map_err(|e| e.to_string());
        let report = report.unwrap_or_else(|e| panic!("{e}"));
        assert!(report.contains("expire: 25 sessions"), "{report}");
        assert!(
            report.contains("100 jobs"),
            "timeouts, metrics, message groups, pictures: {report}"
        );
        assert!(
            report.contains("baseline expire (no-op jobs): 100 jobs"),
            "{report}"
        );
    }
}
