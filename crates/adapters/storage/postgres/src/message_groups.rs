//! Message groups (debounce) on PostgreSQL.

use crate::rows::{self, MESSAGE_GROUP_COLS};
use crate::store::paginate;
use crate::{PgStore, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, PgConnection, Postgres, QueryBuilder};
use ventros_app::error::{AppError, AppResult};
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::MessageGroupStore;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChatId, MessageGroupId, MessageId, TenantId};
use ventros_domain::message_group::{GroupStatus, MessageGroup};
use ventros_domain::tenancy::Scope;

pub(crate) async fn append_to_group(
    conn: &mut PgConnection,
    tenant: TenantId,
    chat: ChatId,
    message: MessageId,
    at: DateTime<Utc>,
) -> AppResult<Option<MessageGroup>> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE message_groups SET message_ids = message_ids || to_jsonb($1::text),
            last_message_at = GREATEST(last_message_at, $2)
         WHERE tenant_id = $3 AND chat_id = $4 AND status = 'pending' RETURNING {MESSAGE_GROUP_COLS}"
    )))
    .bind(message.0.to_string())
    .bind(at)
    .bind(tenant.0)
    .bind(chat.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .map(|r| rows::message_group(&r))
    .transpose()
    .map_err(db_err)
}

pub(crate) async fn insert_group(conn: &mut PgConnection, g: &MessageGroup) -> AppResult<bool> {
    let ids =
        serde_json::to_value(&g.message_ids).map_err(|e| AppError::Internal(e.to_string()))?;
    let n = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO message_groups ({MESSAGE_GROUP_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING"
    )))
    .bind(g.id.0)
    .bind(g.tenant_id.0)
    .bind(g.project_id.0)
    .bind(g.channel_id.0)
    .bind(g.chat_id.0)
    .bind(g.session_id.0)
    .bind(g.status.as_str())
    .bind(ids)
    .bind(g.opened_at)
    .bind(g.last_message_at)
    .bind(g.debounce_ms)
    .bind(g.max_age_ms)
    .bind(g.closed_at)
    .execute(conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(n == 1)
}

pub(crate) async fn supersede_group(
    conn: &mut PgConnection,
    tenant: TenantId,
    chat: ChatId,
    at: DateTime<Utc>,
) -> AppResult<Option<MessageGroup>> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE message_groups SET status = 'superseded', closed_at = $1
         WHERE tenant_id = $2 AND chat_id = $3 AND status = 'pending' RETURNING {MESSAGE_GROUP_COLS}"
    )))
    .bind(at)
    .bind(tenant.0)
    .bind(chat.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .map(|r| rows::message_group(&r))
    .transpose()
    .map_err(db_err)
}

#[async_trait]
impl MessageGroupStore for PgStore {
    async fn get_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
    ) -> AppResult<Option<MessageGroup>> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {MESSAGE_GROUP_COLS} FROM message_groups WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0)
            .push(" AND id = ")
            .push_bind(id.0);
        self.fetch_one_scoped(scope.tenant_id, q, rows::message_group)
            .await
    }

    async fn start_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
        last_message_at: DateTime<Utc>,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE message_groups SET status = 'processing' WHERE tenant_id = $1 AND project_id = $2 AND id = $3 AND status = 'pending' AND last_message_at = $4")
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .bind(last_message_at);
        let n = self
            .write_with_events(scope.tenant_id, q, &[], last_message_at)
            .await?;
        Ok(n == 1)
    }

    async fn finish_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
        status: GroupStatus,
        at: DateTime<Utc>,
        event: Option<&EventEnvelope>,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE message_groups SET status = $1, closed_at = $2 WHERE tenant_id = $3 AND project_id = $4 AND id = $5 AND status = 'processing'")
            .bind(status.as_str())
            .bind(at)
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0);
        let events = event.map(std::slice::from_ref).unwrap_or_default();
        let n = self
            .write_with_events(scope.tenant_id, q, events, at)
            .await?;
        Ok(n == 1)
    }

    async fn list_message_groups(
        &self,
        scope: Scope,
        chat: Option<ChatId>,
        status: Option<GroupStatus>,
        page: PageRequest,
    ) -> AppResult<Page<MessageGroup>> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {MESSAGE_GROUP_COLS} FROM message_groups WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        if let Some(c) = chat {
            q.push(" AND chat_id = ").push_bind(c.0);
        }
        if let Some(s) = status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        paginate(&mut q, "opened_at", &page);
        let v = self
            .fetch_scoped(scope.tenant_id, q, rows::message_group)
            .await?;
        Ok(Page::from_rows(v, page.limit, |g| Cursor {
            ts_us: g.opened_at.timestamp_micros(),
            id: g.id.0,
        }))
    }
}
