//! Session metrics: finalised by a job armed when the session ends, and recomputable at any
//! time from the stored messages and assignments (`ventros metrics recompute`).

use crate::error::AppResult;
use crate::ports::{Clock, ConversationStore, JobFinish, JobHandler, MetricsStore};
use crate::usecases::events::{job_event, job_payload};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::json;
use std::sync::Arc;
use ventros_domain::event::{EventContext, EventEnvelope, EventType};
use ventros_domain::ids::SessionId;
use ventros_domain::job::{Job, SESSION_METRICS, SessionMetricsJob};
use ventros_domain::metrics::{SessionMetrics, compute};
use ventros_domain::session::{Session, SessionStatus};

/// The figures of `s` from what is stored, as of its end (or `now` while it is active).
pub async fn calculate(
    store: &(impl MetricsStore + ?Sized),
    s: &Session,
    now: DateTime<Utc>,
) -> AppResult<SessionMetrics> {
    let inputs = store.metric_inputs(s.scope(), s.id).await?;
    Ok(compute(
        &inputs.messages,
        &inputs.intervals,
        s.ended_at.unwrap_or(now),
    ))
}

/// `session.metrics_calculated`'s payload.
pub fn metrics_payload(s: &Session, m: &SessionMetrics) -> serde_json::Value {
    json!({
        "session_id": s.id,
        "channel_id": s.channel_id,
        "chat_id": s.chat_id,
        "contact_id": s.contact_id,
        "agent_id": s.agent_id,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "end_reason": s.end_reason,
        "metrics": m,
    })
}

pub struct SessionMetricsHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl<S: MetricsStore + ConversationStore + ?Sized + 'static> JobHandler
    for SessionMetricsHandler<S>
{
    fn kind(&self) -> &'static str {
        SESSION_METRICS
    }

    /// Fire then check: only an ended session is measured, and the figures are kept only if
    /// it was not reopened meanwhile (its next end arms this job again).
    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let p: SessionMetricsJob = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        let scope = job.scope();
        let now = self.clock.now();
        let Some(s) = self.store.get_session(scope, p.session_id).await? else {
            return Ok(JobFinish::Done);
        };
        let (SessionStatus::Ended, Some(ended_at)) = (s.status, s.ended_at) else {
            return Ok(JobFinish::Done);
        };
        let m = calculate(&*self.store, &s, now).await?;
        let event = job_event(
            job,
            EventType::SessionMetricsCalculated,
            s.id.0,
            now,
            metrics_payload(&s, &m),
        );
        self.store
            .save_metrics(scope, s.id, ended_at, &m, Some(&event))
            .await?;
        Ok(JobFinish::Done)
    }
}

/// What `ventros metrics recompute` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Recomputed {
    /// Ended sessions looked at.
    pub sessions: u64,
    /// Stored figures equal to the recomputed ones.
    pub identical: u64,
    /// Sessions whose figures were missing or different.
    pub differing: u64,
    /// Of those, how many were written (none with `check_only`).
    pub written: u64,
}

/// Recomputes the figures of every ended session of every tenant from stored messages and
/// assignments, and compares them with the stored ones. Unless `check_only`, missing or
/// different figures are written (with `session.metrics_calculated`).
pub async fn recompute_all(
    store: &(impl MetricsStore + ConversationStore + ?Sized),
    clock: &dyn Clock,
    check_only: bool,
) -> AppResult<Recomputed> {
    let mut out = Recomputed::default();
    let mut after: Option<SessionId> = None;
    let ctx = EventContext {
        source: "cli".into(),
        correlation_id: None,
        causation_id: Some("metrics.recompute".into()),
    };
    loop {
        let page = store.ended_sessions(after, 500).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.1);
        for (scope, id) in page {
            let Some(s) = store.get_session(scope, id).await? else {
                continue;
            };
            let Some(ended_at) = s.ended_at else { continue };
            out.sessions += 1;
            let now = clock.now();
            let m = calculate(store, &s, now).await?;
            if s.metrics.as_ref() == Some(&m) {
                out.identical += 1;
                continue;
            }
            out.differing += 1;
            if check_only {
                continue;
            }
            let event = EventEnvelope::new(
                &ctx,
                s.tenant_id,
                s.project_id,
                EventType::SessionMetricsCalculated,
                s.id.0,
                now,
                metrics_payload(&s, &m),
            );
            if store
                .save_metrics(scope, s.id, ended_at, &m, Some(&event))
                .await?
            {
                out.written += 1;
            }
        }
    }
    Ok(out)
}
