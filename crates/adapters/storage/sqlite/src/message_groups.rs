//! Message groups (debounce) on SQLite.

use crate::rows::{self, MESSAGE_GROUP_COLS, ms};
use crate::store::paginate;
use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite, SqliteConnection};
use ventros_app::error::{AppError, AppResult};
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::MessageGroupStore;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChatId, MessageGroupId, MessageId, TenantId};
use ventros_domain::message_group::{GroupStatus, MessageGroup};
use ventros_domain::tenancy::Scope;

pub(crate) async fn append_to_group(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    chat: ChatId,
    message: MessageId,
    at: DateTime<Utc>,
) -> AppResult<Option<MessageGroup>> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE message_groups SET message_ids = json_insert(message_ids, '$[#]', ?),
            last_message_at = MAX(last_message_at, ?)
         WHERE tenant_id = ? AND chat_id = ? AND status = 'pending' RETURNING {MESSAGE_GROUP_COLS}"
    )))
    .bind(message.0.to_string())
    .bind(ms(at))
    .bind(tenant.0)
    .bind(chat.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .map(|r| rows::message_group(&r))
    .transpose()
    .map_err(db_err)
}

pub(crate) async fn insert_group(conn: &mut SqliteConnection, g: &MessageGroup) -> AppResult<bool> {
    let ids =
        serde_json::to_string(&g.message_ids).map_err(|e| AppError::Internal(e.to_string()))?;
    let n = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO message_groups ({MESSAGE_GROUP_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
    )))
    .bind(g.id.0)
    .bind(g.tenant_id.0)
    .bind(g.project_id.0)
    .bind(g.channel_id.0)
    .bind(g.chat_id.0)
    .bind(g.session_id.0)
    .bind(g.status.as_str())
    .bind(ids)
    .bind(ms(g.opened_at))
    .bind(ms(g.last_message_at))
    .bind(g.debounce_ms)
    .bind(g.max_age_ms)
    .bind(g.closed_at.map(ms))
    .execute(conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(n == 1)
}

pub(crate) async fn supersede_group(
    conn: &mut SqliteConnection,
    tenant: TenantId,
    chat: ChatId,
    at: DateTime<Utc>,
) -> AppResult<Option<MessageGroup>> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE message_groups SET status = 'superseded', closed_at = ?
         WHERE tenant_id = ? AND chat_id = ? AND status = 'pending' RETURNING {MESSAGE_GROUP_COLS}"
    )))
    .bind(ms(at))
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
impl MessageGroupStore for SqliteStore {
    async fn get_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
    ) -> AppResult<Option<MessageGroup>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {MESSAGE_GROUP_COLS} FROM message_groups WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0)
            .push(" AND id = ")
            .push_bind(id.0);
        self.one(q, rows::message_group).await
    }

    async fn start_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
        last_message_at: DateTime<Utc>,
    ) -> AppResult<bool> {
        let n = sqlx::query("UPDATE message_groups SET status = 'processing' WHERE tenant_id = ? AND project_id = ? AND id = ? AND status = 'pending' AND last_message_at = ?")
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .bind(ms(last_message_at))
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
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
        let q = sqlx::query("UPDATE message_groups SET status = ?, closed_at = ? WHERE tenant_id = ? AND project_id = ? AND id = ? AND status = 'processing'")
            .bind(status.as_str())
            .bind(ms(at))
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0);
        let n = self
            .write_with_events(q, event.map(std::slice::from_ref).unwrap_or_default(), at)
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
        let mut q = QueryBuilder::<Sqlite>::new(format!(
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
        let v = self.fetch(q, rows::message_group).await?;
        Ok(Page::from_rows(v, page.limit, |g| Cursor {
            ts_us: g.opened_at.timestamp_micros(),
            id: g.id.0,
        }))
    }
}
