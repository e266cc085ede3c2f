//! Ends sessions after their channel's inactivity timeout, from a durable job.

use crate::error::AppResult;
use crate::ports::{Clock, ConversationStore, JobFinish, JobHandler, SessionStore};
use crate::usecases::events::{ended_payload, job_event, job_payload};
use async_trait::async_trait;
use std::sync::Arc;
use ventros_domain::event::EventType;
use ventros_domain::job::{Job, SESSION_TIMEOUT, SessionMetricsJob, SessionTimeout};
use ventros_domain::session::SessionStatus;

pub const INACTIVITY: &str = "inactivity";

pub struct SessionTimeoutHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl<S: SessionStore + ConversationStore + ?Sized + 'static> JobHandler
    for SessionTimeoutHandler<S>
{
    fn kind(&self) -> &'static str {
        SESSION_TIMEOUT
    }

    /// Fire then check: an ended or missing session is done; a session with newer activity is
    /// rescheduled to its new due time; otherwise it ends at last activity + timeout, only if
    /// nothing changed since it was read.
    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let t: SessionTimeout = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        let scope = job.scope();
        let now = self.clock.now();
        let Some(s) = self.store.get_session(scope, t.session_id).await? else {
            return Ok(JobFinish::Done);
        };
        if s.status != SessionStatus::Active {
            return Ok(JobFinish::Done);
        }
        let due = t.due_at(&s);
        if due > now {
            return Ok(JobFinish::RunAt(due));
        }
        let payload = ended_payload(&s, due, INACTIVITY);
        let event = job_event(job, EventType::SessionEnded, s.id.0, now, payload);
        if self
            .store
            .end_session(
                scope,
                s.id,
                s.last_message_at,
                due,
                INACTIVITY,
                &event,
                &SessionMetricsJob::job(&s, now),
            )
            .await?
        {
            Ok(JobFinish::Done)
        } else {
            // A message landed between the read and the write: look again at once.
            Ok(JobFinish::RunAt(now))
        }
    }
}
