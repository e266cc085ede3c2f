//! Session lifecycle writes on SQLite.

use crate::jobs::arm_job_row;
use crate::rows::{self, ASSIGNMENT_COLS, ms};
use crate::store::insert_events;
use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, Transaction};
use ventros_app::error::AppResult;
use ventros_app::ports::SessionStore;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{AgentId, SessionId, TenantId};
use ventros_domain::job::Job;
use ventros_domain::session::Assignment;
use ventros_domain::tenancy::Scope;

/// Closes the session's open assignment interval at `at`.
pub(crate) async fn close_interval(
    tx: &mut Transaction<'static, Sqlite>,
    tenant: TenantId,
    session: SessionId,
    at: DateTime<Utc>,
) -> AppResult<()> {
    sqlx::query("UPDATE session_assignments SET ended_at = ? WHERE tenant_id = ? AND session_id = ? AND ended_at IS NULL")
        .bind(ms(at))
        .bind(tenant.0)
        .bind(session.0)
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn insert_interval(tx: &mut Transaction<'static, Sqlite>, a: &Assignment) -> AppResult<()> {
    sqlx::query(AssertSqlSafe(format!("INSERT INTO session_assignments ({ASSIGNMENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
        .bind(a.id.0)
        .bind(a.tenant_id.0)
        .bind(a.project_id.0)
        .bind(a.session_id.0)
        .bind(a.agent_id.map(|x| x.0))
        .bind(a.from_agent_id.map(|x| x.0))
        .bind(&a.kind)
        .bind(&a.note)
        .bind(&a.by)
        .bind(ms(a.started_at))
        .bind(a.ended_at.map(ms))
        .execute(&mut **tx)
        .await
        .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn close_session(
        &self,
        scope: Scope,
        id: SessionId,
        at: DateTime<Utc>,
        reason: &str,
        event: &EventEnvelope,
        then: &Job,
    ) -> AppResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query("UPDATE sessions SET status = 'ended', ended_at = ?, end_reason = ? WHERE tenant_id = ? AND project_id = ? AND id = ? AND status = 'active'")
            .bind(ms(at))
            .bind(reason)
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 1 {
            close_interval(&mut tx, scope.tenant_id, id, at).await?;
            arm_job_row(&mut *tx, then).await?;
            insert_events(&mut *tx, std::slice::from_ref(event), at).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n == 1)
    }

    async fn reopen_session(
        &self,
        scope: Scope,
        id: SessionId,
        timer: &Job,
        assignment: Option<&Assignment>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query("UPDATE sessions SET status = 'active', ended_at = NULL, end_reason = NULL WHERE tenant_id = ? AND project_id = ? AND id = ? AND status = 'ended'")
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 1 {
            arm_job_row(&mut *tx, timer).await?;
            if let Some(a) = assignment {
                insert_interval(&mut tx, a).await?;
            }
            insert_events(&mut *tx, std::slice::from_ref(event), event.occurred_at).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n == 1)
    }

    async fn assign_session(
        &self,
        scope: Scope,
        expected: Option<AgentId>,
        next: &Assignment,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = sqlx::query("UPDATE sessions SET agent_id = ? WHERE tenant_id = ? AND project_id = ? AND id = ? AND status = 'active' AND agent_id IS ?")
            .bind(next.agent_id.map(|a| a.0))
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(next.session_id.0)
            .bind(expected.map(|a| a.0))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
        if n == 1 {
            close_interval(&mut tx, scope.tenant_id, next.session_id, next.started_at).await?;
            insert_interval(&mut tx, next).await?;
            insert_events(&mut *tx, std::slice::from_ref(event), next.started_at).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n == 1)
    }

    async fn list_assignments(&self, scope: Scope, id: SessionId) -> AppResult<Vec<Assignment>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {ASSIGNMENT_COLS} FROM session_assignments WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0)
            .push(" AND session_id = ")
            .push_bind(id.0)
            .push(" ORDER BY started_at, id");
        self.fetch(q, rows::assignment).await
    }
}
