//! Session lifecycle writes: close, reopen, assignments and the inactivity end. Each changes
//! the session only from the state it expects, so concurrent callers cannot apply one twice.

use crate::dialect::{DbConn, DbStore};
use crate::sql::jobs::arm_job_row;
use crate::sql::rows::{self, ASSIGNMENT_COLS};
use crate::sql::{Ts, db_err, select_in};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use ventros_app::error::AppResult;
use ventros_app::ports::SessionStore;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{AgentId, SessionId, TenantId};
use ventros_domain::job::Job;
use ventros_domain::session::Assignment;
use ventros_domain::tenancy::Scope;

/// Closes the session's open assignment interval at `at`.
async fn close_interval(
    conn: &mut DbConn,
    tenant: TenantId,
    session: SessionId,
    at: DateTime<Utc>,
) -> AppResult<()> {
    sqlx::query("UPDATE session_assignments SET ended_at = $1 WHERE tenant_id = $2 AND session_id = $3 AND ended_at IS NULL")
        .bind(Ts(at))
        .bind(tenant.0)
        .bind(session.0)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn insert_interval(conn: &mut DbConn, a: &Assignment) -> AppResult<()> {
    sqlx::query(AssertSqlSafe(format!("INSERT INTO session_assignments ({ASSIGNMENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")))
        .bind(a.id.0)
        .bind(a.tenant_id.0)
        .bind(a.project_id.0)
        .bind(a.session_id.0)
        .bind(a.agent_id.map(|x| x.0))
        .bind(a.from_agent_id.map(|x| x.0))
        .bind(&a.kind)
        .bind(&a.note)
        .bind(&a.by)
        .bind(Ts(a.started_at))
        .bind(a.ended_at.map(Ts))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

/// Which active session an end applies to.
#[derive(Clone, Copy)]
pub(crate) enum EndIf {
    /// Any active session (a close by a user).
    Active,
    /// Only while its last activity is still this (an end by inactivity).
    Unchanged(Option<DateTime<Utc>>),
}

/// Ends the session if `cond` holds and closes its open assignment interval; `false` when it
/// did not hold (already ended, or a message arrived meanwhile).
pub(crate) async fn end_session_row(
    conn: &mut DbConn,
    scope: Scope,
    id: SessionId,
    cond: EndIf,
    ended_at: DateTime<Utc>,
    reason: &str,
) -> AppResult<bool> {
    let (any, last) = match cond {
        EndIf::Active => (true, None),
        EndIf::Unchanged(last) => (false, last),
    };
    let n = sqlx::query("UPDATE sessions SET status = 'ended', ended_at = $1, end_reason = $2 WHERE tenant_id = $3 AND project_id = $4 AND id = $5 AND status = 'active' AND ($6 OR last_message_at IS NOT DISTINCT FROM $7)")
        .bind(Ts(ended_at))
        .bind(reason)
        .bind(scope.tenant_id.0)
        .bind(scope.project_id.0)
        .bind(id.0)
        .bind(any)
        .bind(last.map(Ts))
        .execute(&mut *conn)
        .await
        .map_err(db_err)?
        .rows_affected();
    if n == 1 {
        close_interval(conn, scope.tenant_id, id, ended_at).await?;
    }
    Ok(n == 1)
}

impl DbStore {
    /// Ends an active session (see `end_session_row`), then arms its metrics job and appends
    /// the event, all or nothing.
    #[expect(clippy::too_many_arguments, reason = "one end, two callers")]
    async fn end_active_session(
        &self,
        scope: Scope,
        id: SessionId,
        cond: EndIf,
        ended_at: DateTime<Utc>,
        reason: &str,
        event: &EventEnvelope,
        then: &Job,
    ) -> AppResult<bool> {
        let mut tx = self.write(scope.tenant_id).await?;
        let ended = end_session_row(tx.conn(), scope, id, cond, ended_at, reason).await?;
        if ended {
            arm_job_row(tx.conn(), then).await?;
            tx.append(std::slice::from_ref(event), event.occurred_at)
                .await?;
        }
        tx.commit().await?;
        Ok(ended)
    }
}

#[async_trait]
impl SessionStore for DbStore {
    async fn close_session(
        &self,
        scope: Scope,
        id: SessionId,
        at: DateTime<Utc>,
        reason: &str,
        event: &EventEnvelope,
        then: &Job,
    ) -> AppResult<bool> {
        self.end_active_session(scope, id, EndIf::Active, at, reason, event, then)
            .await
    }

    async fn end_session(
        &self,
        scope: Scope,
        id: SessionId,
        last_message_at: Option<DateTime<Utc>>,
        ended_at: DateTime<Utc>,
        reason: &str,
        event: &EventEnvelope,
        then: &Job,
    ) -> AppResult<bool> {
        let cond = EndIf::Unchanged(last_message_at);
        self.end_active_session(scope, id, cond, ended_at, reason, event, then)
            .await
    }

    async fn reopen_session(
        &self,
        scope: Scope,
        id: SessionId,
        timer: &Job,
        assignment: Option<&Assignment>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let mut tx = self.write(scope.tenant_id).await?;
        let n = sqlx::query("UPDATE sessions SET status = 'active', ended_at = NULL, end_reason = NULL, metrics = NULL WHERE tenant_id = $1 AND project_id = $2 AND id = $3 AND status = 'ended'")
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .execute(tx.conn())
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 1 {
            arm_job_row(tx.conn(), timer).await?;
            if let Some(a) = assignment {
                insert_interval(tx.conn(), a).await?;
            }
            tx.append(std::slice::from_ref(event), event.occurred_at)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn assign_session(
        &self,
        scope: Scope,
        expected: Option<AgentId>,
        next: &Assignment,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let mut tx = self.write(scope.tenant_id).await?;
        let n = sqlx::query("UPDATE sessions SET agent_id = $1 WHERE tenant_id = $2 AND project_id = $3 AND id = $4 AND status = 'active' AND agent_id IS NOT DISTINCT FROM $5")
            .bind(next.agent_id.map(|a| a.0))
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(next.session_id.0)
            .bind(expected.map(|a| a.0))
            .execute(tx.conn())
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 1 {
            close_interval(tx.conn(), scope.tenant_id, next.session_id, next.started_at).await?;
            insert_interval(tx.conn(), next).await?;
            tx.append(std::slice::from_ref(event), next.started_at)
                .await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn list_assignments(&self, scope: Scope, id: SessionId) -> AppResult<Vec<Assignment>> {
        let mut q = select_in(ASSIGNMENT_COLS, "session_assignments", scope);
        q.push(" AND session_id = ")
            .push_bind(id.0)
            .push(" ORDER BY started_at, id");
        self.all(scope.tenant_id, q.build(), rows::assignment).await
    }
}
