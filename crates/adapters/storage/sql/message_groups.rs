//! Message groups (debounce): the ingest transaction's appends and the flush job's moves.

use crate::dialect::{DbConn, DbStore, GREATEST, json_append};
use crate::sql::rows::{self, MESSAGE_GROUP_COLS};
use crate::sql::{Ts, by_id_in, db_err, page_by, paginate, select_in};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::MessageGroupStore;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChatId, MessageGroupId, MessageId, TenantId};
use ventros_domain::message_group::{GroupStatus, MessageGroup};
use ventros_domain::tenancy::Scope;

/// Adds a message to the chat's pending group and moves its last arrival; the group, or
/// `None` when the chat has no pending group.
pub(crate) async fn append_to_group(
    conn: &mut DbConn,
    tenant: TenantId,
    chat: ChatId,
    message: MessageId,
    at: DateTime<Utc>,
) -> AppResult<Option<MessageGroup>> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE message_groups SET message_ids = {}, last_message_at = {GREATEST}(last_message_at, $2)
         WHERE tenant_id = $3 AND chat_id = $4 AND status = 'pending' RETURNING {MESSAGE_GROUP_COLS}",
        json_append("message_ids", "$1")
    )))
    .bind(message.0.to_string())
    .bind(Ts(at))
    .bind(tenant.0)
    .bind(chat.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .map(|r| rows::message_group(&r))
    .transpose()
    .map_err(db_err)
}

/// Opens a group unless the chat has a pending one; `false` then.
pub(crate) async fn insert_group(conn: &mut DbConn, g: &MessageGroup) -> AppResult<bool> {
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
    .bind(Json(&g.message_ids))
    .bind(Ts(g.opened_at))
    .bind(Ts(g.last_message_at))
    .bind(g.debounce_ms)
    .bind(g.max_age_ms)
    .bind(g.closed_at.map(Ts))
    .execute(conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(n == 1)
}

/// Marks the chat's pending group superseded at `at`; the group, if there was one.
pub(crate) async fn supersede_group(
    conn: &mut DbConn,
    tenant: TenantId,
    chat: ChatId,
    at: DateTime<Utc>,
) -> AppResult<Option<MessageGroup>> {
    sqlx::query(AssertSqlSafe(format!(
        "UPDATE message_groups SET status = 'superseded', closed_at = $1
         WHERE tenant_id = $2 AND chat_id = $3 AND status = 'pending' RETURNING {MESSAGE_GROUP_COLS}"
    )))
    .bind(Ts(at))
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
impl MessageGroupStore for DbStore {
    async fn get_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
    ) -> AppResult<Option<MessageGroup>> {
        let mut q = by_id_in(MESSAGE_GROUP_COLS, "message_groups", scope, id.0);
        self.one(scope.tenant_id, q.build(), rows::message_group)
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
            .bind(Ts(last_message_at));
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
            .bind(Ts(at))
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
        let mut q = select_in(MESSAGE_GROUP_COLS, "message_groups", scope);
        if let Some(c) = chat {
            q.push(" AND chat_id = ").push_bind(c.0);
        }
        if let Some(s) = status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        paginate(&mut q, "opened_at", false, &page);
        let v = self
            .all(scope.tenant_id, q.build(), rows::message_group)
            .await?;
        Ok(page_by(v, page.limit, |g| (g.opened_at, g.id.0)))
    }
}
