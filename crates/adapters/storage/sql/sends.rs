//! The send saga's rows and the outbound message fields sending changes, for the ingest
//! transaction (the saga's steps run in one, like deliveries do).

use crate::dialect::{DbConn, LOCK_ROW};
use crate::sql::rows::{self, MESSAGE_COLS};
use crate::sql::{Ts, db_err};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;
use ventros_app::error::AppResult;
use ventros_domain::ids::{ChannelId, ChatId, MessageId};
use ventros_domain::message::{ContentType, Message};
use ventros_domain::outbound::{OutboundSend, SendState};
use ventros_domain::tenancy::Scope;

const SEND_COLS: &str = "message_id, tenant_id, project_id, channel_id, chat_id, wa_chat_id, state, content, reply_to, reserved_id, attempts, outcome_unknown, typing_until, queued_at, sent_at, updated_at";

fn send_row(r: &crate::dialect::DbRow) -> Result<OutboundSend, sqlx::Error> {
    let state: String = r.try_get("state")?;
    Ok(OutboundSend {
        message_id: r.try_get::<Uuid, _>("message_id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        channel_id: r.try_get::<Uuid, _>("channel_id")?.into(),
        chat_id: r.try_get::<Uuid, _>("chat_id")?.into(),
        wa_chat_id: r.try_get("wa_chat_id")?,
        state: SendState::parse(&state).map_err(|e| rows::decode_err("state", e))?,
        content: r.try_get::<Json<_>, _>("content")?.0,
        reply_to: r.try_get("reply_to")?,
        reserved_id: r.try_get("reserved_id")?,
        attempts: r.try_get("attempts")?,
        outcome_unknown: r.try_get("outcome_unknown")?,
        typing_until: rows::opt_at(r, "typing_until")?,
        queued_at: rows::at(r, "queued_at")?,
        sent_at: rows::opt_at(r, "sent_at")?,
        updated_at: rows::at(r, "updated_at")?,
    })
}

pub(crate) async fn insert_send(conn: &mut DbConn, s: &OutboundSend) -> AppResult<()> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO outbound_sends ({SEND_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
    )))
    .bind(s.message_id.0)
    .bind(s.tenant_id.0)
    .bind(s.project_id.0)
    .bind(s.channel_id.0)
    .bind(s.chat_id.0)
    .bind(&s.wa_chat_id)
    .bind(s.state.as_str())
    .bind(Json(&s.content))
    .bind(&s.reply_to)
    .bind(&s.reserved_id)
    .bind(s.attempts)
    .bind(s.outcome_unknown)
    .bind(s.typing_until.map(Ts))
    .bind(Ts(s.queued_at))
    .bind(s.sent_at.map(Ts))
    .bind(Ts(s.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get_send(
    conn: &mut DbConn,
    scope: Scope,
    message: MessageId,
) -> AppResult<Option<OutboundSend>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {SEND_COLS} FROM outbound_sends WHERE tenant_id = $1 AND message_id = $2{LOCK_ROW}"
    )))
    .bind(scope.tenant_id.0)
    .bind(message.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .map(|r| send_row(&r))
    .transpose()
    .map_err(db_err)
}

pub(crate) async fn update_send(conn: &mut DbConn, s: &OutboundSend) -> AppResult<()> {
    sqlx::query("UPDATE outbound_sends SET state = $1, reserved_id = $2, attempts = $3, outcome_unknown = $4, typing_until = $5, sent_at = $6, updated_at = $7 WHERE tenant_id = $8 AND message_id = $9")
        .bind(s.state.as_str())
        .bind(&s.reserved_id)
        .bind(s.attempts)
        .bind(s.outcome_unknown)
        .bind(s.typing_until.map(Ts))
        .bind(s.sent_at.map(Ts))
        .bind(Ts(s.updated_at))
        .bind(s.tenant_id.0)
        .bind(s.message_id.0)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn get_message(
    conn: &mut DbConn,
    scope: Scope,
    id: MessageId,
) -> AppResult<Option<Message>> {
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE tenant_id = $1 AND id = $2"
    )))
    .bind(scope.tenant_id.0)
    .bind(id.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?
    .map(|r| rows::message(&r))
    .transpose()
    .map_err(db_err)
}

pub(crate) async fn update_outbound_message(conn: &mut DbConn, m: &Message) -> AppResult<()> {
    sqlx::query("UPDATE messages SET raw_id = $1, provider_id = $2, status = $3, session_id = $4, sent_at = $5, confirmed_at = $6, failure = $7 WHERE tenant_id = $8 AND id = $9")
        .bind(&m.raw_id)
        .bind(&m.provider_id)
        .bind(m.status.rank())
        .bind(m.session_id.0)
        .bind(Ts(m.sent_at))
        .bind(m.confirmed_at.map(Ts))
        .bind(m.failure.as_ref().map(Json))
        .bind(m.tenant_id.0)
        .bind(m.id.0)
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

pub(crate) async fn find_send_for_echo(
    conn: &mut DbConn,
    scope: Scope,
    chat: ChatId,
    content_type: ContentType,
    body: Option<&str>,
    since: DateTime<Utc>,
) -> AppResult<Option<MessageId>> {
    let row = sqlx::query(
        "SELECT s.message_id FROM outbound_sends s JOIN messages m ON m.tenant_id = s.tenant_id AND m.id = s.message_id
         WHERE s.tenant_id = $1 AND s.chat_id = $2 AND s.state IN ('sending', 'sent') AND s.queued_at >= $3
           AND m.raw_id LIKE 'pending:%' AND m.content_type = $4 AND m.body IS NOT DISTINCT FROM $5
         ORDER BY s.queued_at, s.message_id LIMIT 1",
    )
    .bind(scope.tenant_id.0)
    .bind(chat.0)
    .bind(Ts(since))
    .bind(content_type.as_str())
    .bind(body)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    row.map(|r| r.try_get::<Uuid, _>(0).map(Into::into))
        .transpose()
        .map_err(db_err)
}

pub(crate) async fn earlier_unsent_in_chat(conn: &mut DbConn, s: &OutboundSend) -> AppResult<bool> {
    let row = sqlx::query(
        "SELECT 1 FROM outbound_sends WHERE tenant_id = $1 AND chat_id = $2 AND state IN ('queued', 'sending')
           AND (queued_at < $3 OR (queued_at = $3 AND message_id < $4)) LIMIT 1",
    )
    .bind(s.tenant_id.0)
    .bind(s.chat_id.0)
    .bind(Ts(s.queued_at))
    .bind(s.message_id.0)
    .fetch_optional(conn)
    .await
    .map_err(db_err)?;
    Ok(row.is_some())
}

pub(crate) async fn sent_since(
    conn: &mut DbConn,
    scope: Scope,
    channel: ChannelId,
    since: DateTime<Utc>,
) -> AppResult<(i64, Option<DateTime<Utc>>)> {
    let r = sqlx::query(
        "SELECT count(*) AS n, min(sent_at) AS first FROM outbound_sends WHERE tenant_id = $1 AND channel_id = $2 AND sent_at >= $3",
    )
    .bind(scope.tenant_id.0)
    .bind(channel.0)
    .bind(Ts(since))
    .fetch_one(conn)
    .await
    .map_err(db_err)?;
    let n: i64 = r.try_get("n").map_err(db_err)?;
    let first = rows::opt_at(&r, "first").map_err(db_err)?;
    Ok((n, first))
}
