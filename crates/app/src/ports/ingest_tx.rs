use crate::error::AppResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::chat::Chat;
use ventros_domain::contact::{Contact, ContactSighting};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, ChatId, DeliveryId, MessageId, SessionId};
use ventros_domain::message::{DeliveryStatus, EarlyChange, Message};
use ventros_domain::message_group::MessageGroup;
use ventros_domain::outbound::OutboundSend;
use ventros_domain::session::{Session, SessionTouch};
use ventros_domain::tenancy::Scope;

/// An inbound webhook delivery as logged, whatever became of it.
#[derive(Debug, Clone)]
pub struct DeliveryRecord {
    pub id: DeliveryId,
    pub channel_id: ChannelId,
    pub dedupe_key: String,
    pub event_name: String,
    /// `processed`, `ignored` (understood, nothing to do), `rejected` (could not be used),
    /// `duplicate` (same message seen through another delivery), `unmatched` (target unknown).
    pub outcome: String,
    pub detail: Option<String>,
    pub body: serde_json::Value,
    pub received_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct MessageRef {
    pub id: MessageId,
    pub session_id: SessionId,
    pub chat_id: ChatId,
    pub contact_id: Option<ventros_domain::ids::ContactId>,
    pub from_me: bool,
    pub status: DeliveryStatus,
    pub body: Option<String>,
    pub deleted: bool,
    pub reactions: serde_json::Value,
}

/// Where ingest starts its unit of work.
#[async_trait]
pub trait IngestStore: Send + Sync {
    async fn begin_ingest(&self, scope: Scope) -> AppResult<Box<dyn IngestTx>>;
    /// Deletes acks and early changes kept since before `before` for messages that never
    /// arrived, in every tenant; how many.
    async fn prune_unmatched(&self, before: DateTime<Utc>) -> AppResult<u64>;
}

/// One ingest transaction, scoped to one tenant. Nothing is visible to others until
/// `commit`; dropping it without commit rolls everything back.
#[async_trait]
pub trait IngestTx: Send {
    /// Logs the delivery; `false` when its dedupe key was seen before (nothing else to do).
    async fn record_delivery(&mut self, d: &DeliveryRecord) -> AppResult<bool>;
    async fn set_delivery_outcome(
        &mut self,
        id: DeliveryId,
        outcome: &str,
        detail: Option<&str>,
    ) -> AppResult<()>;

    async fn find_message(
        &mut self,
        channel: ChannelId,
        from_me: Option<bool>,
        raw_id: &str,
    ) -> AppResult<Option<MessageRef>>;
    /// The contact with the sighting's phone (preferred) or LID.
    async fn find_contact(&mut self, s: &ContactSighting) -> AppResult<Option<Contact>>;
    /// Inserts unless a contact with the same phone or LID exists; `false` then.
    async fn insert_contact(&mut self, c: &Contact) -> AppResult<bool>;
    async fn update_contact(&mut self, c: &Contact) -> AppResult<()>;
    /// Inserts unless (channel, WhatsApp chat id) exists; `false` then.
    async fn insert_chat(&mut self, c: &Chat) -> AppResult<bool>;
    async fn find_chat(&mut self, channel: ChannelId, wa_chat_id: &str) -> AppResult<Option<Chat>>;
    async fn set_chat_subject(&mut self, chat: ChatId, subject: &str) -> AppResult<()>;
    async fn find_active_session(&mut self, chat: ChatId) -> AppResult<Option<Session>>;
    /// Opens a session unless the chat has an active one; `false` then.
    async fn insert_session(&mut self, s: &Session) -> AppResult<bool>;
    /// Ends the session if it is still active with this last activity (see
    /// `SessionStore::end_session`), closing its assignment interval; `false` otherwise.
    async fn end_session(
        &mut self,
        session: SessionId,
        last_message_at: Option<DateTime<Utc>>,
        ended_at: DateTime<Utc>,
        reason: &str,
    ) -> AppResult<bool>;
    /// Inserts the message; `false` when (channel, from_me, raw id) exists already.
    async fn insert_message(&mut self, m: &Message) -> AppResult<bool>;
    async fn touch_session(
        &mut self,
        session: SessionId,
        chat: ChatId,
        touch: &SessionTouch,
    ) -> AppResult<()>;
    /// Removes and returns an ack that arrived before its message.
    async fn take_pending_ack(
        &mut self,
        channel: ChannelId,
        from_me: bool,
        raw_id: &str,
    ) -> AppResult<Option<DeliveryStatus>>;
    async fn keep_pending_ack(
        &mut self,
        channel: ChannelId,
        from_me: bool,
        raw_id: &str,
        status: DeliveryStatus,
        now: DateTime<Utc>,
    ) -> AppResult<()>;
    /// Keeps a revoke, edit, reaction or poll vote whose message has not arrived;
    /// `from_me` is `None` when the change does not say which side wrote the message.
    async fn keep_early_change(
        &mut self,
        channel: ChannelId,
        from_me: Option<bool>,
        raw_id: &str,
        change: &EarlyChange,
        now: DateTime<Utc>,
    ) -> AppResult<()>;
    /// Removes and returns, in arrival order, the changes kept for this message.
    async fn take_early_changes(
        &mut self,
        channel: ChannelId,
        from_me: bool,
        raw_id: &str,
    ) -> AppResult<Vec<EarlyChange>>;
    async fn set_message_status(&mut self, id: MessageId, status: DeliveryStatus) -> AppResult<()>;
    async fn mark_message_deleted(&mut self, id: MessageId, at: DateTime<Utc>) -> AppResult<()>;
    async fn edit_message(
        &mut self,
        id: MessageId,
        old_body: Option<&str>,
        new_body: Option<&str>,
        at: DateTime<Utc>,
    ) -> AppResult<()>;
    async fn set_reactions(
        &mut self,
        id: MessageId,
        reactions: &serde_json::Value,
    ) -> AppResult<()>;
    async fn record_poll_vote(
        &mut self,
        poll: MessageId,
        voter: &str,
        selected: &[String],
        at: DateTime<Utc>,
    ) -> AppResult<()>;
    /// Sets the channel status; returns the previous one.
    async fn set_channel_status(
        &mut self,
        channel: ChannelId,
        status: &str,
        now: DateTime<Utc>,
    ) -> AppResult<String>;
    /// Upserts participants (`left` marks them gone).
    async fn upsert_participants(
        &mut self,
        chat: ChatId,
        participants: &[(String, String)],
        left: bool,
        at: DateTime<Utc>,
    ) -> AppResult<()>;
    async fn append_events(&mut self, events: &[EventEnvelope]) -> AppResult<()>;
    /// Adds a message to the chat's pending group, moving its window; the updated group, or
    /// `None` when the chat has no pending group.
    async fn append_to_message_group(
        &mut self,
        chat: ChatId,
        message: MessageId,
        at: DateTime<Utc>,
    ) -> AppResult<Option<MessageGroup>>;
    /// Opens a group unless the chat has a pending one; `false` then.
    async fn insert_message_group(&mut self, g: &MessageGroup) -> AppResult<bool>;
    /// Marks the chat's pending group superseded at `at`; the group, if there was one.
    async fn supersede_message_group(
        &mut self,
        chat: ChatId,
        at: DateTime<Utc>,
    ) -> AppResult<Option<MessageGroup>>;
    /// The session timeout override of the pipeline, if it exists and sets one.
    async fn pipeline_session_timeout(
        &mut self,
        pipeline: ventros_domain::ids::PipelineId,
    ) -> AppResult<Option<i64>>;
    /// The whole message, by Ventros id.
    async fn get_message(&mut self, id: MessageId) -> AppResult<Option<Message>>;
    /// Writes what sending changes on an outbound message: its WhatsApp ids, status,
    /// session, `sent_at`, `confirmed_at` and `failure`.
    async fn update_outbound_message(&mut self, m: &Message) -> AppResult<()>;
    /// The pipeline of a contact, if it is in one.
    async fn contact_pipeline(
        &mut self,
        contact: ventros_domain::ids::ContactId,
    ) -> AppResult<Option<ventros_domain::ids::PipelineId>>;
    async fn insert_send(&mut self, s: &OutboundSend) -> AppResult<()>;
    /// A media file row of a message, written with it.
    async fn insert_media_file(&mut self, f: &ventros_domain::media::MediaFile) -> AppResult<()>;
    /// The send saga's row of a message (locked for this transaction where the backend
    /// can).
    async fn get_send(&mut self, message: MessageId) -> AppResult<Option<OutboundSend>>;
    async fn update_send(&mut self, s: &OutboundSend) -> AppResult<()>;
    /// A send of this chat whose WhatsApp id is still unknown, handed to WAHA since `since`,
    /// with this content type and body: what an echo without a known id belongs to.
    async fn find_send_for_echo(
        &mut self,
        chat: ChatId,
        content_type: ventros_domain::message::ContentType,
        body: Option<&str>,
        since: DateTime<Utc>,
    ) -> AppResult<Option<MessageId>>;
    /// Whether a send of the same chat queued before this one has not left yet.
    async fn earlier_unsent_in_chat(&mut self, s: &OutboundSend) -> AppResult<bool>;
    /// Sends of the channel accepted by WAHA since `since`: how many, and the earliest time.
    async fn sent_since(
        &mut self,
        channel: ChannelId,
        since: DateTime<Utc>,
    ) -> AppResult<(i64, Option<DateTime<Utc>>)>;
    /// The live (pending) job under `key` in this tenant, if there is one.
    async fn pending_job(&mut self, key: &str) -> AppResult<Option<ventros_domain::job::Job>>;
    /// Arms a job in this transaction (see `JobStore::arm_job`).
    async fn arm_job(&mut self, job: &ventros_domain::job::Job) -> AppResult<()>;
    async fn commit(self: Box<Self>) -> AppResult<()>;
}
