use crate::error::AppResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::SessionId;
use ventros_domain::job::Job;
use ventros_domain::session::Assignment;
use ventros_domain::tenancy::Scope;

/// Session lifecycle writes: the API's close, reopen and assignments, and the inactivity end.
#[async_trait]
pub trait SessionStore: Send + Sync {
    /// Ends an active session (and its open assignment interval) and arms `then` (its
    /// metrics job); `false` if not active.
    async fn close_session(
        &self,
        scope: Scope,
        id: SessionId,
        at: DateTime<Utc>,
        reason: &str,
        event: &EventEnvelope,
        then: &Job,
    ) -> AppResult<bool>;
    /// Makes an ended session active again (its end-of-session figures are dropped until it
    /// ends again), arms its timer and (when it had an agent) opens a new assignment
    /// interval, in one transaction. `false` if it was not ended;
    /// `Conflict` when its chat has another active session.
    async fn reopen_session(
        &self,
        scope: Scope,
        id: SessionId,
        timer: &Job,
        assignment: Option<&Assignment>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;
    /// Sets the session's agent if it is still `expected` (`None`: unassigned), closing the
    /// open interval and opening `next`; `false` when the session is not active or someone
    /// else changed the assignment first.
    async fn assign_session(
        &self,
        scope: Scope,
        expected: Option<ventros_domain::ids::AgentId>,
        next: &Assignment,
        event: &EventEnvelope,
    ) -> AppResult<bool>;
    /// Ends an active session if its last activity is still `last_message_at` (fire then
    /// check, atomically), with the event and arming `then` (its metrics job); `false`
    /// when it changed or already ended.
    #[expect(
        clippy::too_many_arguments,
        reason = "the fenced end is one atomic write of all of these"
    )]
    async fn end_session(
        &self,
        scope: Scope,
        id: SessionId,
        last_message_at: Option<DateTime<Utc>>,
        ended_at: DateTime<Utc>,
        reason: &str,
        event: &EventEnvelope,
        then: &Job,
    ) -> AppResult<bool>;
    async fn list_assignments(&self, scope: Scope, id: SessionId) -> AppResult<Vec<Assignment>>;
}
