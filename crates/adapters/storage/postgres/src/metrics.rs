//! Session metrics on PostgreSQL: inputs, finalised figures, report reads and live counts
//! (tenant-bound transactions; `ventros_ended_sessions` walks every tenant for recompute).

use crate::rows::{self, SESSION_COLS};
use crate::store::insert_events;
use crate::{PgStore, begin_tenant, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;
use ventros_app::error::{AppError, AppResult};
use ventros_app::ports::{LiveCounts, MetricInputs, MetricsStore, ReportFilter};
use ventros_domain::agent::AgentKind;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, SessionId};
use ventros_domain::message::SenderKind;
use ventros_domain::metrics::{MetricInterval, MetricMessage, SessionMetrics};
use ventros_domain::session::Session;
use ventros_domain::tenancy::Scope;

fn decode<T: serde::de::DeserializeOwned>(col: &str, s: String) -> Result<T, sqlx::Error> {
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| sqlx::Error::ColumnDecode {
        index: col.into(),
        source: e.to_string().into(),
    })
}

#[async_trait]
impl MetricsStore for PgStore {
    async fn metric_inputs(&self, scope: Scope, id: SessionId) -> AppResult<MetricInputs> {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT sent_at, sender_kind FROM messages WHERE tenant_id = ",
        );
        q.push_bind(scope.tenant_id.0)
            .push(" AND session_id = ")
            .push_bind(id.0)
            .push(" ORDER BY sent_at, id");
        let messages = self
            .fetch_scoped(scope.tenant_id, q, |r| {
                Ok(MetricMessage {
                    at: r.try_get::<DateTime<Utc>, _>("sent_at")?,
                    sender: decode::<SenderKind>("sender_kind", r.try_get("sender_kind")?)?,
                })
            })
            .await?;
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT a.agent_id, g.kind, a.started_at, a.ended_at FROM session_assignments a
             LEFT JOIN agents g ON g.tenant_id = a.tenant_id AND g.id = a.agent_id
             WHERE a.tenant_id = ",
        );
        q.push_bind(scope.tenant_id.0)
            .push(" AND a.session_id = ")
            .push_bind(id.0)
            .push(" ORDER BY a.started_at, a.id");
        let intervals = self
            .fetch_scoped(scope.tenant_id, q, |r| {
                let agent = match (
                    r.try_get::<Option<Uuid>, _>("agent_id")?,
                    r.try_get::<Option<String>, _>("kind")?,
                ) {
                    (Some(id), Some(k)) => Some((id.into(), decode::<AgentKind>("kind", k)?)),
                    _ => None,
                };
                Ok(MetricInterval {
                    agent,
                    from: r.try_get::<DateTime<Utc>, _>("started_at")?,
                    to: r.try_get::<Option<DateTime<Utc>>, _>("ended_at")?,
                })
            })
            .await?;
        Ok(MetricInputs {
            messages,
            intervals,
        })
    }

    async fn save_metrics(
        &self,
        scope: Scope,
        id: SessionId,
        ended_at: DateTime<Utc>,
        m: &SessionMetrics,
        event: Option<&EventEnvelope>,
    ) -> AppResult<bool> {
        let json = serde_json::to_value(m).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut tx = begin_tenant(&self.pool, scope.tenant_id).await?;
        let n = sqlx::query(
            "UPDATE sessions SET metrics = $1, agent_first_response_seconds = $2, contact_first_response_seconds = $3, first_response_agent_id = $4
             WHERE tenant_id = $5 AND project_id = $6 AND id = $7 AND status = 'ended' AND ended_at = $8",
        )
        .bind(json)
        .bind(m.agent_first_response_seconds)
        .bind(m.contact_first_response_seconds)
        .bind(m.first_response_agent_id.map(|a| a.0))
        .bind(scope.tenant_id.0)
        .bind(scope.project_id.0)
        .bind(id.0)
        .bind(ended_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 1
            && let Some(e) = event
        {
            insert_events(&mut *tx, std::slice::from_ref(e), e.occurred_at).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n == 1)
    }

    async fn ended_sessions(
        &self,
        after: Option<SessionId>,
        limit: u32,
    ) -> AppResult<Vec<(Scope, SessionId)>> {
        let rows =
            sqlx::query("SELECT id, tenant_id, project_id FROM ventros_ended_sessions($1, $2)")
                .bind(after.map(|a| a.0))
                .bind(i32::try_from(limit).unwrap_or(i32::MAX))
                .fetch_all(&self.pool)
                .await
                .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok((
                    Scope {
                        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
                        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
                    },
                    r.try_get::<Uuid, _>("id")?.into(),
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err)
    }

    async fn report_sessions(
        &self,
        scope: Scope,
        f: &ReportFilter,
        after: Option<SessionId>,
        limit: u32,
    ) -> AppResult<Vec<Session>> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE metrics IS NOT NULL AND tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        if let Some(c) = f.channel_id {
            q.push(" AND channel_id = ").push_bind(c.0);
        }
        if let Some(p) = f.pipeline_id {
            q.push(" AND contact_id IN (SELECT id FROM contacts WHERE tenant_id = ")
                .push_bind(scope.tenant_id.0)
                .push(" AND pipeline_id = ")
                .push_bind(p.0)
                .push(")");
        }
        if let Some(t) = f.from {
            q.push(" AND started_at >= ").push_bind(t);
        }
        if let Some(t) = f.to {
            q.push(" AND started_at < ").push_bind(t);
        }
        if let Some(a) = after {
            q.push(" AND id > ").push_bind(a.0);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
        self.fetch_scoped(scope.tenant_id, q, rows::session).await
    }

    async fn live_counts(&self, scope: Scope, channel: Option<ChannelId>) -> AppResult<LiveCounts> {
        let mut q = QueryBuilder::<Postgres>::new(
            "SELECT COUNT(*) AS active,
                COUNT(*) FILTER (WHERE agent_id IS NULL) AS unassigned,
                COUNT(*) FILTER (WHERE last_contact_message_at > COALESCE(last_agent_message_at, '-infinity')) AS waiting,
                MIN(last_contact_message_at) FILTER (WHERE last_contact_message_at > COALESCE(last_agent_message_at, '-infinity')) AS oldest
             FROM sessions WHERE status = 'active' AND tenant_id = ",
        );
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        if let Some(c) = channel {
            q.push(" AND channel_id = ").push_bind(c.0);
        }
        let counts = self
            .fetch_scoped(scope.tenant_id, q, |r| {
                Ok(LiveCounts {
                    active: r.try_get("active")?,
                    unassigned: r.try_get("unassigned")?,
                    waiting_for_answer: r.try_get("waiting")?,
                    oldest_waiting_since: r.try_get::<Option<DateTime<Utc>>, _>("oldest")?,
                })
            })
            .await?;
        Ok(counts.into_iter().next().unwrap_or_default())
    }
}
