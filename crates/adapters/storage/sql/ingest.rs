//! The statements of the ingest transaction. The backend's `DbIngestTx` owns the connection
//! and how the unit commits (SQLite's group commit, PostgreSQL's COMMIT); everything it runs
//! in between is here.

use crate::dialect::{DbIngestTx, GREATEST, LEAST, both_updates, whole_seconds};
use crate::sql::contacts::insert_contact_row;
use crate::sql::rows::{
    self, CHAT_COLS, CONTACT_COLS, JOB_COLS, MESSAGE_COLS, MESSAGE_REF_COLS, SESSION_COLS, enum_str,
};
use crate::sql::sends;
use crate::sql::sessions::{EndIf, end_session_row};
use crate::sql::{Ts, db_err, insert_events};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;
use ventros_app::error::AppResult;
use ventros_app::ports::{DeliveryRecord, IngestTx, MessageRef};
use ventros_domain::chat::Chat;
use ventros_domain::contact::{Contact, ContactSighting};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, ChatId, DeliveryId, MessageId, PipelineId, SessionId};
use ventros_domain::job::Job;
use ventros_domain::message::{ContentType, DeliveryStatus, EarlyChange, Message};
use ventros_domain::message_group::MessageGroup;
use ventros_domain::outbound::OutboundSend;
use ventros_domain::session::{Session, SessionTouch};

#[async_trait]
impl IngestTx for DbIngestTx {
    async fn record_delivery(&mut self, d: &DeliveryRecord) -> AppResult<bool> {
        let scope = self.scope;
        let n = sqlx::query(
            "INSERT INTO inbound_deliveries (id, tenant_id, project_id, channel_id, dedupe_key, event_name, outcome, detail, body, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING",
        )
        .bind(d.id.0)
        .bind(scope.tenant_id.0)
        .bind(scope.project_id.0)
        .bind(d.channel_id.0)
        .bind(&d.dedupe_key)
        .bind(&d.event_name)
        .bind(&d.outcome)
        .bind(&d.detail)
        .bind(Json(&d.body))
        .bind(Ts(d.received_at))
        .execute(self.conn()?)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn set_delivery_outcome(
        &mut self,
        id: DeliveryId,
        outcome: &str,
        detail: Option<&str>,
    ) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query("UPDATE inbound_deliveries SET outcome = $1, detail = $2 WHERE tenant_id = $3 AND id = $4")
            .bind(outcome)
            .bind(detail)
            .bind(t.0)
            .bind(id.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn find_message(
        &mut self,
        channel: ChannelId,
        from_me: Option<bool>,
        raw_id: &str,
    ) -> AppResult<Option<MessageRef>> {
        let t = self.scope.tenant_id;
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {MESSAGE_REF_COLS} FROM messages
             WHERE tenant_id = $1 AND channel_id = $2 AND raw_id = $3 AND ($4 IS NULL OR from_me = $4) LIMIT 1"
        )))
        .bind(t.0)
        .bind(channel.0)
        .bind(raw_id)
        .bind(from_me)
        .fetch_optional(self.conn()?)
        .await
        .map_err(db_err)?
        .map(|r| rows::message_ref(&r))
        .transpose()
        .map_err(db_err)
    }

    /// Phone first, then LID: two lookups on the partial unique indexes (an `OR` made the
    /// planner scan every contact of the tenant).
    async fn find_contact(&mut self, s: &ContactSighting) -> AppResult<Option<Contact>> {
        let t = self.scope.tenant_id;
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTACT_COLS} FROM (
                SELECT {CONTACT_COLS}, 0 AS pref FROM contacts WHERE tenant_id = $1 AND phone IS NOT NULL AND phone = $2 AND deleted_at IS NULL
                UNION ALL
                SELECT {CONTACT_COLS}, 1 AS pref FROM contacts WHERE tenant_id = $1 AND lid IS NOT NULL AND lid = $3 AND deleted_at IS NULL
             ) AS c ORDER BY pref LIMIT 1"
        )))
        .bind(t.0)
        .bind(s.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(&s.lid)
        .fetch_optional(self.conn()?)
        .await
        .map_err(db_err)?
        .map(|r| rows::contact(&r))
        .transpose()
        .map_err(db_err)
    }

    async fn insert_contact(&mut self, c: &Contact) -> AppResult<bool> {
        insert_contact_row(self.conn()?, c).await
    }

    async fn update_contact(&mut self, c: &Contact) -> AppResult<()> {
        sqlx::query("UPDATE contacts SET name = $1, push_name = $2, wa_id = $3, lid = $4, phone = $5, updated_at = $6 WHERE tenant_id = $7 AND id = $8")
            .bind(&c.name)
            .bind(&c.push_name)
            .bind(&c.wa_id)
            .bind(&c.lid)
            .bind(c.phone.as_ref().map(|p| p.as_str().to_string()))
            .bind(Ts(c.updated_at))
            .bind(c.tenant_id.0)
            .bind(c.id.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_chat(&mut self, new: &Chat) -> AppResult<bool> {
        let n = sqlx::query(AssertSqlSafe(format!("INSERT INTO chats ({CHAT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING")))
            .bind(new.id.0)
            .bind(new.tenant_id.0)
            .bind(new.project_id.0)
            .bind(new.channel_id.0)
            .bind(&new.wa_chat_id)
            .bind(new.kind.as_str())
            .bind(new.contact_id.map(|c| c.0))
            .bind(&new.subject)
            .bind(new.last_message_at.map(Ts))
            .bind(Ts(new.created_at))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn find_chat(&mut self, channel: ChannelId, wa_chat_id: &str) -> AppResult<Option<Chat>> {
        let t = self.scope.tenant_id;
        sqlx::query(AssertSqlSafe(format!("SELECT {CHAT_COLS} FROM chats WHERE tenant_id = $1 AND channel_id = $2 AND wa_chat_id = $3")))
            .bind(t.0)
            .bind(channel.0)
            .bind(wa_chat_id)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?
            .map(|r| rows::chat(&r))
            .transpose()
            .map_err(db_err)
    }

    async fn set_chat_subject(&mut self, chat: ChatId, subject: &str) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query("UPDATE chats SET subject = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(subject)
            .bind(t.0)
            .bind(chat.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn find_active_session(&mut self, chat: ChatId) -> AppResult<Option<Session>> {
        let t = self.scope.tenant_id;
        sqlx::query(AssertSqlSafe(format!("SELECT {SESSION_COLS} FROM sessions WHERE tenant_id = $1 AND chat_id = $2 AND status = 'active'")))
            .bind(t.0)
            .bind(chat.0)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?
            .map(|r| rows::session(&r))
            .transpose()
            .map_err(db_err)
    }

    async fn insert_session(&mut self, new: &Session) -> AppResult<bool> {
        let n = sqlx::query(AssertSqlSafe(format!("INSERT INTO sessions ({SESSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) ON CONFLICT DO NOTHING")))
            .bind(new.id.0)
            .bind(new.tenant_id.0)
            .bind(new.project_id.0)
            .bind(new.channel_id.0)
            .bind(new.chat_id.0)
            .bind(new.contact_id.map(|c| c.0))
            .bind(new.status.as_str())
            .bind(Ts(new.started_at))
            .bind(new.ended_at.map(Ts))
            .bind(&new.end_reason)
            .bind(new.first_contact_message_at.map(Ts))
            .bind(new.first_agent_message_at.map(Ts))
            .bind(new.last_message_at.map(Ts))
            .bind(new.contact_messages)
            .bind(new.agent_messages)
            .bind(new.system_messages)
            .bind(new.agent_id.map(|a| a.0))
            .bind(new.last_contact_message_at.map(Ts))
            .bind(new.last_agent_message_at.map(Ts))
            .bind(new.agent_first_response_seconds)
            .bind(new.contact_first_response_seconds)
            .bind(new.first_response_agent_id.map(|a| a.0))
            .bind(new.metrics.as_ref().map(Json))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn insert_message(&mut self, m: &Message) -> AppResult<bool> {
        let n = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO messages ({MESSAGE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29, $30) ON CONFLICT DO NOTHING"
        )))
        .bind(m.id.0)
        .bind(m.tenant_id.0)
        .bind(m.project_id.0)
        .bind(m.channel_id.0)
        .bind(m.chat_id.0)
        .bind(m.session_id.0)
        .bind(m.contact_id.map(|c| c.0))
        .bind(enum_str(&m.direction))
        .bind(enum_str(&m.sender_kind))
        .bind(&m.sender_wa_id)
        .bind(m.content_type.as_str())
        .bind(&m.body)
        .bind(m.media.as_ref().map(Json))
        .bind(m.location.as_ref().map(Json))
        .bind(Json(&m.vcards))
        .bind(&m.reply_to)
        .bind(m.reply_to_message_id.map(|i| i.0))
        .bind(m.status.rank())
        .bind(&m.provider_id)
        .bind(m.from_me)
        .bind(&m.raw_id)
        .bind(m.imported)
        .bind(Ts(m.sent_at))
        .bind(Ts(m.created_at))
        .bind(m.edited_at.map(Ts))
        .bind(m.deleted_at.map(Ts))
        .bind(Json(&m.reactions))
        .bind(m.agent_id.map(|a| a.0))
        .bind(m.confirmed_at.map(Ts))
        .bind(m.failure.as_ref().map(Json))
        .execute(self.conn()?)
        .await
        .map_err(db_err)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn touch_session(
        &mut self,
        session: SessionId,
        chat: ChatId,
        touch: &SessionTouch,
    ) -> AppResult<()> {
        let t = self.scope.tenant_id;
        let (c, a) = (
            i64::from(touch.by_contact),
            i64::from(!touch.by_contact && touch.by_agent),
        );
        let s = i64::from(!touch.by_contact && !touch.by_agent);
        // $1..$3 the counts to add, $4 the time, $5 the tenant, $6 the session, $7 the chat.
        let counters = format!(
            "UPDATE sessions SET
                contact_messages = contact_messages + $1, agent_messages = agent_messages + $2, system_messages = system_messages + $3,
                first_contact_message_at = CASE WHEN $1 = 1 THEN {LEAST}(COALESCE(first_contact_message_at, $4), $4) ELSE first_contact_message_at END,
                last_contact_message_at = CASE WHEN $1 = 1 THEN {GREATEST}(COALESCE(last_contact_message_at, $4), $4) ELSE last_contact_message_at END,
                first_agent_message_at = CASE WHEN $2 = 1 THEN {LEAST}(COALESCE(first_agent_message_at, $4), $4) ELSE first_agent_message_at END,
                last_agent_message_at = CASE WHEN $2 = 1 THEN {GREATEST}(COALESCE(last_agent_message_at, $4), $4) ELSE last_agent_message_at END,
                last_message_at = {GREATEST}(COALESCE(last_message_at, $4), $4)
             WHERE tenant_id = $5 AND id = $6"
        );
        let last_message = format!(
            "UPDATE chats SET last_message_at = {GREATEST}(COALESCE(last_message_at, $4), $4) WHERE tenant_id = $5 AND id = $7"
        );
        for sql in both_updates(&counters, &last_message) {
            sqlx::query(AssertSqlSafe(sql))
                .bind(c)
                .bind(a)
                .bind(s)
                .bind(Ts(touch.at))
                .bind(t.0)
                .bind(session.0)
                .bind(chat.0)
                .execute(self.conn()?)
                .await
                .map_err(db_err)?;
        }
        if c + a > 0 {
            // First response, from the first messages as they now stand (SessionTouch::apply).
            let (agent_wait, contact_wait) = (
                whole_seconds("first_agent_message_at", "first_contact_message_at"),
                whole_seconds("first_contact_message_at", "first_agent_message_at"),
            );
            sqlx::query(AssertSqlSafe(format!(
                "UPDATE sessions SET
                    agent_first_response_seconds = CASE WHEN first_agent_message_at >= first_contact_message_at THEN {agent_wait} END,
                    contact_first_response_seconds = CASE WHEN first_agent_message_at < first_contact_message_at THEN {contact_wait} END,
                    first_response_agent_id = CASE WHEN first_agent_message_at >= first_contact_message_at THEN COALESCE(first_response_agent_id, agent_id) END
                 WHERE tenant_id = $1 AND id = $2 AND first_contact_message_at IS NOT NULL AND first_agent_message_at IS NOT NULL"
            )))
            .bind(t.0)
            .bind(session.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn take_pending_ack(
        &mut self,
        channel: ChannelId,
        from_me: bool,
        raw_id: &str,
    ) -> AppResult<Option<DeliveryStatus>> {
        let t = self.scope.tenant_id;
        let r = sqlx::query("DELETE FROM pending_acks WHERE tenant_id = $1 AND channel_id = $2 AND from_me = $3 AND raw_id = $4 RETURNING status")
            .bind(t.0)
            .bind(channel.0)
            .bind(from_me)
            .bind(raw_id)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?;
        match r {
            Some(r) => Ok(Some(DeliveryStatus::from_rank(i64::from(
                r.try_get::<i16, _>("status").map_err(db_err)?,
            ))?)),
            None => Ok(None),
        }
    }

    async fn keep_pending_ack(
        &mut self,
        channel: ChannelId,
        from_me: bool,
        raw_id: &str,
        status: DeliveryStatus,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO pending_acks (tenant_id, channel_id, from_me, raw_id, status, received_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, channel_id, from_me, raw_id) DO UPDATE SET status = {GREATEST}(pending_acks.status, excluded.status)"
        )))
        .bind(t.0)
        .bind(channel.0)
        .bind(from_me)
        .bind(raw_id)
        .bind(status.rank())
        .bind(Ts(now))
        .execute(self.conn()?)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn keep_early_change(
        &mut self,
        channel: ChannelId,
        from_me: Option<bool>,
        raw_id: &str,
        change: &EarlyChange,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        sqlx::query(
            "INSERT INTO early_changes (id, tenant_id, channel_id, from_me, raw_id, change, received_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7())
        .bind(self.scope.tenant_id.0)
        .bind(channel.0)
        .bind(from_me)
        .bind(raw_id)
        .bind(Json(change))
        .bind(Ts(now))
        .execute(self.conn()?)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn take_early_changes(
        &mut self,
        channel: ChannelId,
        from_me: bool,
        raw_id: &str,
    ) -> AppResult<Vec<EarlyChange>> {
        let rows = sqlx::query(
            "DELETE FROM early_changes WHERE tenant_id = $1 AND channel_id = $2 AND raw_id = $3
               AND (from_me IS NULL OR from_me = $4)
             RETURNING id, change, received_at",
        )
        .bind(self.scope.tenant_id.0)
        .bind(channel.0)
        .bind(raw_id)
        .bind(from_me)
        .fetch_all(self.conn()?)
        .await
        .map_err(db_err)?;
        let mut kept = rows
            .iter()
            .map(|r| {
                Ok((
                    rows::at(r, "received_at")?,
                    r.try_get::<Uuid, _>("id")?,
                    rows::json::<EarlyChange>(r, "change")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err)?;
        // RETURNING promises no order; ids are time-ordered within one arrival time.
        kept.sort_by_key(|(at, id, _)| (*at, *id));
        Ok(kept.into_iter().map(|(_, _, c)| c).collect())
    }

    async fn set_message_status(&mut self, id: MessageId, status: DeliveryStatus) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query("UPDATE messages SET status = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(status.rank())
            .bind(t.0)
            .bind(id.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn mark_message_deleted(&mut self, id: MessageId, at: DateTime<Utc>) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query("UPDATE messages SET deleted_at = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(Ts(at))
            .bind(t.0)
            .bind(id.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn edit_message(
        &mut self,
        id: MessageId,
        old_body: Option<&str>,
        new_body: Option<&str>,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query("INSERT INTO message_edits (id, tenant_id, message_id, old_body, new_body, edited_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(Uuid::now_v7())
            .bind(t.0)
            .bind(id.0)
            .bind(old_body)
            .bind(new_body)
            .bind(Ts(at))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "UPDATE messages SET body = $1, edited_at = $2 WHERE tenant_id = $3 AND id = $4",
        )
        .bind(new_body)
        .bind(Ts(at))
        .bind(t.0)
        .bind(id.0)
        .execute(self.conn()?)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn set_reactions(
        &mut self,
        id: MessageId,
        reactions: &serde_json::Value,
    ) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query("UPDATE messages SET reactions = $1 WHERE tenant_id = $2 AND id = $3")
            .bind(Json(reactions))
            .bind(t.0)
            .bind(id.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn record_poll_vote(
        &mut self,
        poll: MessageId,
        voter: &str,
        selected: &[String],
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let t = self.scope.tenant_id;
        sqlx::query(
            "INSERT INTO poll_votes (tenant_id, message_id, voter, selected, voted_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, message_id, voter) DO UPDATE SET selected = excluded.selected, voted_at = excluded.voted_at",
        )
        .bind(t.0)
        .bind(poll.0)
        .bind(voter)
        .bind(Json(selected))
        .bind(Ts(at))
        .execute(self.conn()?)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn set_channel_status(
        &mut self,
        channel: ChannelId,
        status: &str,
        now: DateTime<Utc>,
    ) -> AppResult<String> {
        let t = self.scope.tenant_id;
        let prev: String =
            sqlx::query_scalar("SELECT status FROM channels WHERE tenant_id = $1 AND id = $2")
                .bind(t.0)
                .bind(channel.0)
                .fetch_one(self.conn()?)
                .await
                .map_err(db_err)?;
        if prev != status {
            sqlx::query(
                "UPDATE channels SET status = $1, updated_at = $2 WHERE tenant_id = $3 AND id = $4",
            )
            .bind(status)
            .bind(Ts(now))
            .bind(t.0)
            .bind(channel.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        }
        Ok(prev)
    }

    async fn upsert_participants(
        &mut self,
        chat: ChatId,
        participants: &[(String, String)],
        left: bool,
        at: DateTime<Utc>,
    ) -> AppResult<()> {
        let t = self.scope.tenant_id;
        for (wa_id, role) in participants {
            sqlx::query(
                "INSERT INTO chat_participants (tenant_id, chat_id, wa_id, role, joined_at, left_at) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (tenant_id, chat_id, wa_id) DO UPDATE SET role = excluded.role, left_at = excluded.left_at",
            )
            .bind(t.0)
            .bind(chat.0)
            .bind(wa_id)
            .bind(role)
            .bind(Ts(at))
            .bind(left.then_some(Ts(at)))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn append_events(&mut self, events: &[EventEnvelope]) -> AppResult<()> {
        let now = events
            .first()
            .map(|e| e.occurred_at)
            .unwrap_or_else(Utc::now);
        insert_events(self.conn()?, events, now).await?;
        if !events.is_empty() {
            self.events_appended();
        }
        Ok(())
    }

    async fn append_to_message_group(
        &mut self,
        chat: ChatId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> AppResult<Option<MessageGroup>> {
        let t = self.scope.tenant_id;
        crate::sql::message_groups::append_to_group(self.conn()?, t, chat, message, at).await
    }

    async fn insert_message_group(&mut self, g: &MessageGroup) -> AppResult<bool> {
        crate::sql::message_groups::insert_group(self.conn()?, g).await
    }

    async fn supersede_message_group(
        &mut self,
        chat: ChatId,
        at: DateTime<Utc>,
    ) -> AppResult<Option<MessageGroup>> {
        let t = self.scope.tenant_id;
        crate::sql::message_groups::supersede_group(self.conn()?, t, chat, at).await
    }

    async fn pipeline_session_timeout(&mut self, pipeline: PipelineId) -> AppResult<Option<i64>> {
        let scope = self.scope;
        let over: Option<Option<i64>> = sqlx::query_scalar("SELECT session_timeout_seconds FROM pipelines WHERE tenant_id = $1 AND project_id = $2 AND id = $3")
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(pipeline.0)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(over.flatten())
    }

    async fn end_session(
        &mut self,
        session: SessionId,
        last_message_at: Option<DateTime<Utc>>,
        ended_at: DateTime<Utc>,
        reason: &str,
    ) -> AppResult<bool> {
        let (scope, cond) = (self.scope, EndIf::Unchanged(last_message_at));
        end_session_row(self.conn()?, scope, session, cond, ended_at, reason).await
    }

    async fn get_message(&mut self, id: MessageId) -> AppResult<Option<Message>> {
        let scope = self.scope;
        sends::get_message(self.conn()?, scope, id).await
    }

    async fn update_outbound_message(&mut self, m: &Message) -> AppResult<()> {
        sends::update_outbound_message(self.conn()?, m).await
    }

    async fn contact_pipeline(
        &mut self,
        contact: ventros_domain::ids::ContactId,
    ) -> AppResult<Option<PipelineId>> {
        let t = self.scope.tenant_id;
        let row = sqlx::query("SELECT pipeline_id FROM contacts WHERE tenant_id = $1 AND id = $2")
            .bind(t.0)
            .bind(contact.0)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(row
            .map(|r| r.try_get::<Option<Uuid>, _>(0))
            .transpose()
            .map_err(db_err)?
            .flatten()
            .map(Into::into))
    }

    async fn insert_media_file(&mut self, f: &ventros_domain::media::MediaFile) -> AppResult<()> {
        crate::sql::media::insert_media(self.conn()?, f).await
    }

    async fn insert_send(&mut self, s: &OutboundSend) -> AppResult<()> {
        sends::insert_send(self.conn()?, s).await
    }

    async fn get_send(&mut self, message: MessageId) -> AppResult<Option<OutboundSend>> {
        let scope = self.scope;
        sends::get_send(self.conn()?, scope, message).await
    }

    async fn update_send(&mut self, s: &OutboundSend) -> AppResult<()> {
        sends::update_send(self.conn()?, s).await
    }

    async fn find_send_for_echo(
        &mut self,
        chat: ChatId,
        content_type: ContentType,
        body: Option<&str>,
        since: DateTime<Utc>,
    ) -> AppResult<Option<MessageId>> {
        let scope = self.scope;
        sends::find_send_for_echo(self.conn()?, scope, chat, content_type, body, since).await
    }

    async fn earlier_unsent_in_chat(&mut self, s: &OutboundSend) -> AppResult<bool> {
        sends::earlier_unsent_in_chat(self.conn()?, s).await
    }

    async fn sent_since(
        &mut self,
        channel: ChannelId,
        since: DateTime<Utc>,
    ) -> AppResult<(i64, Option<DateTime<Utc>>)> {
        let scope = self.scope;
        sends::sent_since(self.conn()?, scope, channel, since).await
    }

    async fn pending_job(&mut self, key: &str) -> AppResult<Option<Job>> {
        let t = self.scope.tenant_id;
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLS} FROM jobs WHERE tenant_id = $1 AND key = $2 AND status = 'pending'"
        )))
        .bind(t.0)
        .bind(key)
        .fetch_optional(self.conn()?)
        .await
        .map_err(db_err)?
        .map(|r| rows::job(&r))
        .transpose()
        .map_err(db_err)
    }

    async fn arm_job(&mut self, job: &Job) -> AppResult<()> {
        crate::sql::jobs::arm_job_row(self.conn()?, job).await
    }

    async fn commit(self: Box<Self>) -> AppResult<()> {
        self.finish().await
    }
}
