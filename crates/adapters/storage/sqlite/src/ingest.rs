use crate::db_err;
use crate::group_commit::{Batch, Outcome};
use crate::rows::{self, CHAT_COLS, CONTACT_COLS, SESSION_COLS, enum_str, ms};
use crate::store::insert_events;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Executor, Row, SqliteConnection};
use std::sync::Arc;
use tokio::sync::{Mutex, OwnedMutexGuard, watch};
use uuid::Uuid;
use ventros_app::AppError;
use ventros_app::error::AppResult;
use ventros_app::ports::{DeliveryRecord, IngestTx, MessageRef};
use ventros_domain::chat::Chat;
use ventros_domain::contact::{Contact, ContactSighting};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, ChatId, DeliveryId, MessageId, SessionId};
use ventros_domain::message::{DeliveryStatus, Message};
use ventros_domain::message_group::MessageGroup;
use ventros_domain::session::{Session, SessionTouch};
use ventros_domain::tenancy::Scope;

/// One delivery inside the shared ingest batch: holds the writer until it commits (releases
/// its savepoint) or is dropped (its savepoint is rolled back).
pub(crate) struct SqliteIngestTx {
    pub guard: Option<OwnedMutexGuard<Batch>>,
    pub batch: Arc<Mutex<Batch>>,
    pub batch_id: u64,
    pub outcome: watch::Receiver<Outcome>,
    pub scope: Scope,
}

impl SqliteIngestTx {
    fn t(&self) -> Uuid {
        self.scope.tenant_id.0
    }

    fn conn(&mut self) -> AppResult<&mut SqliteConnection> {
        self.guard
            .as_mut()
            .and_then(|g| g.tx.as_deref_mut())
            .ok_or_else(|| AppError::Internal("ingest transaction already finished".into()))
    }
}

impl Drop for SqliteIngestTx {
    fn drop(&mut self) {
        let Some(mut g) = self.guard.take() else {
            return;
        };
        // Dropped without commit: the savepoint is undone before anyone else uses the batch,
        // and the batch is closed so the other members (and the writer) are not kept waiting.
        g.abandoned = true;
        drop(g);
        let (batch, id) = (self.batch.clone(), self.batch_id);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let mut g = batch.lock_owned().await;
                if g.id == id {
                    g.close().await;
                }
            });
        }
    }
}

#[async_trait]
impl IngestTx for SqliteIngestTx {
    async fn record_delivery(&mut self, d: &DeliveryRecord) -> AppResult<bool> {
        let n = sqlx::query(
            "INSERT INTO inbound_deliveries (id, tenant_id, project_id, channel_id, dedupe_key, event_name, outcome, detail, body, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(d.id.0)
        .bind(self.scope.tenant_id.0)
        .bind(self.scope.project_id.0)
        .bind(d.channel_id.0)
        .bind(&d.dedupe_key)
        .bind(&d.event_name)
        .bind(&d.outcome)
        .bind(&d.detail)
        .bind(d.body.to_string())
        .bind(ms(d.received_at))
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
        let t = self.t();
        sqlx::query(
            "UPDATE inbound_deliveries SET outcome = ?, detail = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(outcome)
        .bind(detail)
        .bind(t)
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
        let t = self.t();
        let row = sqlx::query(
            "SELECT id, session_id, chat_id, contact_id, from_me, status, body, deleted_at, reactions FROM messages
             WHERE tenant_id = ? AND channel_id = ? AND raw_id = ? AND (? IS NULL OR from_me = ?) LIMIT 1",
        )
        .bind(t)
        .bind(channel.0)
        .bind(raw_id)
        .bind(from_me)
        .bind(from_me)
        .fetch_optional(self.conn()?)
        .await
        .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let f = || -> Result<MessageRef, sqlx::Error> {
            let reactions: String = r.try_get("reactions")?;
            Ok(MessageRef {
                id: r.try_get::<Uuid, _>("id")?.into(),
                session_id: r.try_get::<Uuid, _>("session_id")?.into(),
                chat_id: r.try_get::<Uuid, _>("chat_id")?.into(),
                contact_id: r.try_get::<Option<Uuid>, _>("contact_id")?.map(Into::into),
                from_me: r.try_get("from_me")?,
                status: DeliveryStatus::from_rank(r.try_get("status")?).map_err(|e| {
                    sqlx::Error::ColumnDecode {
                        index: "status".into(),
                        source: e.to_string().into(),
                    }
                })?,
                body: r.try_get("body")?,
                deleted: r.try_get::<Option<i64>, _>("deleted_at")?.is_some(),
                reactions: serde_json::from_str(&reactions)
                    .unwrap_or_else(|_| serde_json::json!({})),
            })
        };
        f().map(Some).map_err(db_err)
    }

    async fn find_chat(&mut self, channel: ChannelId, wa_chat_id: &str) -> AppResult<Option<Chat>> {
        let t = self.t();
        sqlx::query(AssertSqlSafe(format!("SELECT {CHAT_COLS} FROM chats WHERE tenant_id = ? AND channel_id = ? AND wa_chat_id = ?")))
            .bind(t)
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
        let t = self.t();
        sqlx::query("UPDATE chats SET subject = ? WHERE tenant_id = ? AND id = ?")
            .bind(subject)
            .bind(t)
            .bind(chat.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn insert_message(&mut self, m: &Message) -> AppResult<bool> {
        let n = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO messages ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            rows::MESSAGE_COLS
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
        .bind(m.media.as_ref().map(|v| serde_json::json!(v).to_string()))
        .bind(m.location.as_ref().map(|v| v.to_string()))
        .bind(serde_json::json!(m.vcards).to_string())
        .bind(&m.reply_to)
        .bind(m.reply_to_message_id.map(|i| i.0))
        .bind(i64::from(m.status.rank()))
        .bind(&m.provider_id)
        .bind(m.from_me)
        .bind(&m.raw_id)
        .bind(m.imported)
        .bind(ms(m.sent_at))
        .bind(ms(m.created_at))
        .bind(m.edited_at.map(ms))
        .bind(m.deleted_at.map(ms))
        .bind(m.reactions.to_string())
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
        let t = self.t();
        let at = ms(touch.at);
        let (c, a) = (
            i64::from(touch.by_contact),
            i64::from(!touch.by_contact && touch.by_agent),
        );
        let s = i64::from(!touch.by_contact && !touch.by_agent);
        sqlx::query(
            "UPDATE sessions SET
                contact_messages = contact_messages + ?1, agent_messages = agent_messages + ?2, system_messages = system_messages + ?3,
                first_contact_message_at = CASE WHEN ?1 = 1 THEN MIN(COALESCE(first_contact_message_at, ?4), ?4) ELSE first_contact_message_at END,
                last_contact_message_at = CASE WHEN ?1 = 1 THEN MAX(COALESCE(last_contact_message_at, ?4), ?4) ELSE last_contact_message_at END,
                first_agent_message_at = CASE WHEN ?2 = 1 THEN MIN(COALESCE(first_agent_message_at, ?4), ?4) ELSE first_agent_message_at END,
                last_agent_message_at = CASE WHEN ?2 = 1 THEN MAX(COALESCE(last_agent_message_at, ?4), ?4) ELSE last_agent_message_at END,
                last_message_at = MAX(COALESCE(last_message_at, ?4), ?4)
             WHERE tenant_id = ?5 AND id = ?6",
        )
        .bind(c)
        .bind(a)
        .bind(s)
        .bind(at)
        .bind(t)
        .bind(session.0)
        .execute(self.conn()?)
        .await
        .map_err(db_err)?;
        if c + a > 0 {
            // First response, from the first messages as they now stand (SessionTouch::apply).
            sqlx::query(
                "UPDATE sessions SET
                    agent_first_response_seconds = CASE WHEN first_agent_message_at >= first_contact_message_at THEN (first_agent_message_at - first_contact_message_at) / 1000 END,
                    contact_first_response_seconds = CASE WHEN first_agent_message_at < first_contact_message_at THEN (first_contact_message_at - first_agent_message_at) / 1000 END,
                    first_response_agent_id = CASE WHEN first_agent_message_at >= first_contact_message_at THEN COALESCE(first_response_agent_id, agent_id) END
                 WHERE tenant_id = ? AND id = ? AND first_contact_message_at IS NOT NULL AND first_agent_message_at IS NOT NULL",
            )
            .bind(t)
            .bind(session.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        }
        sqlx::query("UPDATE chats SET last_message_at = MAX(COALESCE(last_message_at, ?), ?) WHERE tenant_id = ? AND id = ?")
            .bind(at)
            .bind(at)
            .bind(t)
            .bind(chat.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn take_pending_ack(
        &mut self,
        channel: ChannelId,
        from_me: bool,
        raw_id: &str,
    ) -> AppResult<Option<DeliveryStatus>> {
        let t = self.t();
        let r = sqlx::query("DELETE FROM pending_acks WHERE tenant_id = ? AND channel_id = ? AND from_me = ? AND raw_id = ? RETURNING status")
            .bind(t)
            .bind(channel.0)
            .bind(from_me)
            .bind(raw_id)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?;
        match r {
            Some(r) => Ok(Some(DeliveryStatus::from_rank(
                r.try_get("status").map_err(db_err)?,
            )?)),
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
        let t = self.t();
        sqlx::query(
            "INSERT INTO pending_acks (tenant_id, channel_id, from_me, raw_id, status, received_at) VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, channel_id, from_me, raw_id) DO UPDATE SET status = MAX(status, excluded.status)",
        )
        .bind(t)
        .bind(channel.0)
        .bind(from_me)
        .bind(raw_id)
        .bind(i64::from(status.rank()))
        .bind(ms(now))
        .execute(self.conn()?)
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn set_message_status(&mut self, id: MessageId, status: DeliveryStatus) -> AppResult<()> {
        let t = self.t();
        sqlx::query("UPDATE messages SET status = ? WHERE tenant_id = ? AND id = ?")
            .bind(i64::from(status.rank()))
            .bind(t)
            .bind(id.0)
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn mark_message_deleted(&mut self, id: MessageId, at: DateTime<Utc>) -> AppResult<()> {
        let t = self.t();
        sqlx::query("UPDATE messages SET deleted_at = ? WHERE tenant_id = ? AND id = ?")
            .bind(ms(at))
            .bind(t)
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
        let t = self.t();
        sqlx::query("INSERT INTO message_edits (id, tenant_id, message_id, old_body, new_body, edited_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(Uuid::now_v7())
            .bind(t)
            .bind(id.0)
            .bind(old_body)
            .bind(new_body)
            .bind(ms(at))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        sqlx::query("UPDATE messages SET body = ?, edited_at = ? WHERE tenant_id = ? AND id = ?")
            .bind(new_body)
            .bind(ms(at))
            .bind(t)
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
        let t = self.t();
        sqlx::query("UPDATE messages SET reactions = ? WHERE tenant_id = ? AND id = ?")
            .bind(reactions.to_string())
            .bind(t)
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
        let t = self.t();
        sqlx::query(
            "INSERT INTO poll_votes (tenant_id, message_id, voter, selected, voted_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, message_id, voter) DO UPDATE SET selected = excluded.selected, voted_at = excluded.voted_at",
        )
        .bind(t)
        .bind(poll.0)
        .bind(voter)
        .bind(serde_json::json!(selected).to_string())
        .bind(ms(at))
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
        let t = self.t();
        let prev: String =
            sqlx::query("SELECT status FROM channels WHERE tenant_id = ? AND id = ?")
                .bind(t)
                .bind(channel.0)
                .fetch_one(self.conn()?)
                .await
                .and_then(|r| r.try_get("status"))
                .map_err(db_err)?;
        if prev != status {
            sqlx::query(
                "UPDATE channels SET status = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
            )
            .bind(status)
            .bind(ms(now))
            .bind(t)
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
        let t = self.t();
        for (wa_id, role) in participants {
            sqlx::query(
                "INSERT INTO chat_participants (tenant_id, chat_id, wa_id, role, joined_at, left_at) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (tenant_id, chat_id, wa_id) DO UPDATE SET role = excluded.role, left_at = excluded.left_at",
            )
            .bind(t)
            .bind(chat.0)
            .bind(wa_id)
            .bind(role)
            .bind(ms(at))
            .bind(left.then(|| ms(at)))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?;
        }
        Ok(())
    }

    async fn pipeline_session_timeout(
        &mut self,
        pipeline: ventros_domain::ids::PipelineId,
    ) -> AppResult<Option<i64>> {
        let (t, p) = (self.t(), self.scope.project_id.0);
        let over: Option<Option<i64>> = sqlx::query_scalar("SELECT session_timeout_seconds FROM pipelines WHERE tenant_id = ? AND project_id = ? AND id = ?")
            .bind(t)
            .bind(p)
            .bind(pipeline.0)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?;
        Ok(over.flatten())
    }

    async fn arm_job(&mut self, job: &ventros_domain::job::Job) -> AppResult<()> {
        crate::jobs::arm_job_row(self.conn()?, job).await
    }

    async fn append_to_message_group(
        &mut self,
        chat: ChatId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> AppResult<Option<MessageGroup>> {
        let t = self.scope.tenant_id;
        crate::message_groups::append_to_group(self.conn()?, t, chat, message, at).await
    }

    async fn insert_message_group(&mut self, g: &MessageGroup) -> AppResult<bool> {
        crate::message_groups::insert_group(self.conn()?, g).await
    }

    async fn supersede_message_group(
        &mut self,
        chat: ChatId,
        at: DateTime<Utc>,
    ) -> AppResult<Option<MessageGroup>> {
        let t = self.scope.tenant_id;
        crate::message_groups::supersede_group(self.conn()?, t, chat, at).await
    }

    async fn append_events(&mut self, events: &[EventEnvelope]) -> AppResult<()> {
        let now = events
            .first()
            .map(|e| e.occurred_at)
            .unwrap_or_else(Utc::now);
        insert_events(self.conn()?, events, now).await
    }

    /// Phone first, then LID: two lookups on the partial unique indexes (an `OR` made the
    /// planner scan every contact of the tenant).
    async fn find_contact(&mut self, s: &ContactSighting) -> AppResult<Option<Contact>> {
        let t = self.t();
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CONTACT_COLS} FROM (
                SELECT {CONTACT_COLS}, 0 AS pref FROM contacts WHERE tenant_id = ?1 AND phone IS NOT NULL AND phone = ?2 AND deleted_at IS NULL
                UNION ALL
                SELECT {CONTACT_COLS}, 1 AS pref FROM contacts WHERE tenant_id = ?1 AND lid IS NOT NULL AND lid = ?3 AND deleted_at IS NULL
             ) AS c ORDER BY pref LIMIT 1"
        )))
        .bind(t)
        .bind(s.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(&s.lid)
        .fetch_optional(self.conn()?)
        .await
        .map_err(db_err)?
        .map(|r| rows::contact(&r))
        .transpose()
        .map_err(db_err)
    }

    async fn find_active_session(&mut self, chat: ChatId) -> AppResult<Option<Session>> {
        let t = self.t();
        sqlx::query(AssertSqlSafe(format!("SELECT {SESSION_COLS} FROM sessions WHERE tenant_id = ? AND chat_id = ? AND status = 'active'")))
            .bind(t)
            .bind(chat.0)
            .fetch_optional(self.conn()?)
            .await
            .map_err(db_err)?
            .map(|r| rows::session(&r))
            .transpose()
            .map_err(db_err)
    }

    async fn update_contact(&mut self, c: &Contact) -> AppResult<()> {
        sqlx::query("UPDATE contacts SET name = ?, push_name = ?, wa_id = ?, lid = ?, phone = ?, updated_at = ? WHERE tenant_id = ? AND id = ?")
                .bind(&c.name)
                .bind(&c.push_name)
                .bind(&c.wa_id)
                .bind(&c.lid)
                .bind(c.phone.as_ref().map(|p| p.as_str().to_string()))
                .bind(ms(c.updated_at))
                .bind(c.tenant_id.0)
                .bind(c.id.0)
                .execute(self.conn()?)
                .await
                .map_err(db_err)?;
        Ok(())
    }

    async fn insert_contact(&mut self, c: &Contact) -> AppResult<bool> {
        insert_contact_row(self.conn()?, c).await
    }

    async fn insert_chat(&mut self, new: &Chat) -> AppResult<bool> {
        let n = sqlx::query(AssertSqlSafe(format!("INSERT INTO chats ({CHAT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")))
            .bind(new.id.0)
            .bind(new.tenant_id.0)
            .bind(new.project_id.0)
            .bind(new.channel_id.0)
            .bind(&new.wa_chat_id)
            .bind(new.kind.as_str())
            .bind(new.contact_id.map(|c| c.0))
            .bind(&new.subject)
            .bind(new.last_message_at.map(ms))
            .bind(ms(new.created_at))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn insert_session(&mut self, new: &Session) -> AppResult<bool> {
        let n = sqlx::query(AssertSqlSafe(format!("INSERT INTO sessions ({SESSION_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")))
            .bind(new.id.0)
            .bind(new.tenant_id.0)
            .bind(new.project_id.0)
            .bind(new.channel_id.0)
            .bind(new.chat_id.0)
            .bind(new.contact_id.map(|c| c.0))
            .bind(new.status.as_str())
            .bind(ms(new.started_at))
            .bind(new.ended_at.map(ms))
            .bind(&new.end_reason)
            .bind(new.first_contact_message_at.map(ms))
            .bind(new.first_agent_message_at.map(ms))
            .bind(new.last_message_at.map(ms))
            .bind(new.contact_messages)
            .bind(new.agent_messages)
            .bind(new.system_messages)
            .bind(new.agent_id.map(|a| a.0))
            .bind(new.last_contact_message_at.map(ms))
            .bind(new.last_agent_message_at.map(ms))
            .bind(new.agent_first_response_seconds)
            .bind(new.contact_first_response_seconds)
            .bind(new.first_response_agent_id.map(|a| a.0))
            .bind(new.metrics.as_ref().map(|m| serde_json::to_string(m).unwrap_or_default()))
            .execute(self.conn()?)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn commit(mut self: Box<Self>) -> AppResult<()> {
        let released = self.conn()?.execute("RELEASE SAVEPOINT delivery").await;
        released.map_err(db_err)?;
        // Our work is in the batch; release the writer to the deliveries queued behind us,
        // then commit the batch unless one of them already did.
        let mut outcome = self.outcome.clone();
        let (batch, id) = (self.batch.clone(), self.batch_id);
        drop(self.guard.take());
        let mut g = batch.lock_owned().await;
        if g.id == id {
            g.close().await;
        }
        drop(g);
        let result = outcome
            .wait_for(Option::is_some)
            .await
            .map_err(|_| AppError::Unavailable("the ingest batch ended without an outcome".into()))?
            .clone();
        match result {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(AppError::Unavailable(format!("commit failed: {e}"))),
            None => Err(AppError::Internal("ingest batch outcome missing".into())),
        }
    }
}

/// Inserts a contact unless one with its phone or LID exists; `false` then.
pub(crate) async fn insert_contact_row<'c, E: sqlx::SqliteExecutor<'c>>(
    ex: E,
    c: &Contact,
) -> AppResult<bool> {
    let n = sqlx::query(AssertSqlSafe(format!("INSERT INTO contacts ({CONTACT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")))
        .bind(c.id.0)
        .bind(c.tenant_id.0)
        .bind(c.project_id.0)
        .bind(c.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(&c.wa_id)
        .bind(&c.lid)
        .bind(&c.name)
        .bind(&c.push_name)
        .bind(&c.email)
        .bind(&c.profile_picture_url)
        .bind(serde_json::json!(c.tags).to_string())
        .bind(c.custom_fields.to_string())
        .bind(c.pipeline_id.map(|p| p.0))
        .bind(ms(c.created_at))
        .bind(ms(c.updated_at))
        .execute(ex)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(n == 1)
}
