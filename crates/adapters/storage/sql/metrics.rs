//! Session metrics: their inputs, the finalised figures, report reads and live counts.

use crate::dialect::{DbStore, cross_tenant};
use crate::sql::rows::{self, SESSION_COLS};
use crate::sql::{Ts, db_err, select_in};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, QueryBuilder, Row};
use uuid::Uuid;
use ventros_app::error::AppResult;
use ventros_app::ports::{LiveCounts, MetricInputs, MetricsStore, ReportFilter};
use ventros_domain::agent::AgentKind;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, SessionId};
use ventros_domain::message::{DeliveryStatus, SenderKind};
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
impl MetricsStore for DbStore {
    async fn metric_inputs(&self, scope: Scope, id: SessionId) -> AppResult<MetricInputs> {
        // Outbound messages count once WhatsApp accepted them: not while queued, not failed.
        let mut q = QueryBuilder::new(
            "SELECT m.sent_at, m.sender_kind, m.agent_id, g.kind AS agent_kind FROM messages m
             LEFT JOIN agents g ON g.tenant_id = m.tenant_id AND g.id = m.agent_id
             WHERE m.tenant_id = ",
        );
        q.push_bind(scope.tenant_id.0)
            .push(" AND m.session_id = ")
            .push_bind(id.0)
            .push(" AND (m.direction = 'inbound' OR m.status >= ")
            .push_bind(DeliveryStatus::Sent.rank())
            .push(") ORDER BY m.sent_at, m.id");
        let messages = self
            .all(scope.tenant_id, q.build(), |r| {
                let agent = match (
                    r.try_get::<Option<uuid::Uuid>, _>("agent_id")?,
                    r.try_get::<Option<String>, _>("agent_kind")?,
                ) {
                    (Some(id), Some(kind)) => Some((
                        id.into(),
                        AgentKind::parse(&kind).map_err(|e| sqlx::Error::ColumnDecode {
                            index: "agent_kind".into(),
                            source: e.to_string().into(),
                        })?,
                    )),
                    _ => None,
                };
                Ok(MetricMessage {
                    at: rows::at(r, "sent_at")?,
                    sender: decode::<SenderKind>("sender_kind", r.try_get("sender_kind")?)?,
                    agent,
                })
            })
            .await?;
        let mut q = QueryBuilder::new(
            "SELECT a.agent_id, g.kind, a.started_at, a.ended_at FROM session_assignments a
             LEFT JOIN agents g ON g.tenant_id = a.tenant_id AND g.id = a.agent_id
             WHERE a.tenant_id = ",
        );
        q.push_bind(scope.tenant_id.0)
            .push(" AND a.session_id = ")
            .push_bind(id.0)
            .push(" ORDER BY a.started_at, a.id");
        let intervals = self
            .all(scope.tenant_id, q.build(), |r| {
                let agent = match (
                    r.try_get::<Option<Uuid>, _>("agent_id")?,
                    r.try_get::<Option<String>, _>("kind")?,
                ) {
                    (Some(id), Some(k)) => Some((id.into(), decode::<AgentKind>("kind", k)?)),
                    _ => None,
                };
                Ok(MetricInterval {
                    agent,
                    from: rows::at(r, "started_at")?,
                    to: rows::opt_at(r, "ended_at")?,
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
        let mut tx = self.write(scope.tenant_id).await?;
        let n = sqlx::query(
            "UPDATE sessions SET metrics = $1, agent_first_response_seconds = $2, contact_first_response_seconds = $3, first_response_agent_id = $4
             WHERE tenant_id = $5 AND project_id = $6 AND id = $7 AND status = 'ended' AND ended_at = $8",
        )
        .bind(Json(m))
        .bind(m.agent_first_response_seconds)
        .bind(m.contact_first_response_seconds)
        .bind(m.first_response_agent_id.map(|a| a.0))
        .bind(scope.tenant_id.0)
        .bind(scope.project_id.0)
        .bind(id.0)
        .bind(Ts(ended_at))
        .execute(tx.conn())
        .await
        .map_err(db_err)?
        .rows_affected();
        if n == 1
            && let Some(e) = event
        {
            tx.append(std::slice::from_ref(e), e.occurred_at).await?;
        }
        tx.commit().await?;
        Ok(n == 1)
    }

    async fn ended_sessions(
        &self,
        after: Option<SessionId>,
        limit: u32,
    ) -> AppResult<Vec<(Scope, SessionId)>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT id, tenant_id, project_id FROM {} AS s",
            cross_tenant::ENDED_SESSIONS
        )))
        .bind(after.map(|a| a.0))
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .fetch_all(self.any_tenant_reads())
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| Ok((rows::scope(r)?, r.try_get::<Uuid, _>("id")?.into())))
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
        let mut q = select_in(SESSION_COLS, "sessions", scope);
        q.push(" AND metrics IS NOT NULL");
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
            q.push(" AND started_at >= ").push_bind(Ts(t));
        }
        if let Some(t) = f.to {
            q.push(" AND started_at < ").push_bind(Ts(t));
        }
        if let Some(a) = after {
            q.push(" AND id > ").push_bind(a.0);
        }
        q.push(" ORDER BY id LIMIT ").push_bind(i64::from(limit));
        self.all(scope.tenant_id, q.build(), rows::session).await
    }

    async fn live_counts(&self, scope: Scope, channel: Option<ChannelId>) -> AppResult<LiveCounts> {
        // A contact waits when their latest message is newer than the agents' latest.
        const WAITING: &str = "last_contact_message_at IS NOT NULL AND (last_agent_message_at IS NULL OR last_contact_message_at > last_agent_message_at)";
        let mut q = QueryBuilder::new(format!(
            "SELECT COUNT(*) AS active,
                COUNT(*) FILTER (WHERE agent_id IS NULL) AS unassigned,
                COUNT(*) FILTER (WHERE {WAITING}) AS waiting,
                MIN(last_contact_message_at) FILTER (WHERE {WAITING}) AS oldest
             FROM sessions WHERE status = 'active' AND tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        if let Some(c) = channel {
            q.push(" AND channel_id = ").push_bind(c.0);
        }
        let counts = self
            .one(scope.tenant_id, q.build(), |r| {
                Ok(LiveCounts {
                    active: r.try_get("active")?,
                    unassigned: r.try_get("unassigned")?,
                    waiting_for_answer: r.try_get("waiting")?,
                    oldest_waiting_since: rows::opt_at(r, "oldest")?,
                })
            })
            .await?;
        Ok(counts.unwrap_or_default())
    }
}
