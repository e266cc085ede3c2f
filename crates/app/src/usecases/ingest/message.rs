//! A new message: its contact, chat and session, the message itself, the session's counters
//! and inactivity timer, and its place in the chat's message group.

use super::{Ingest, IngestOutcome, sighting_of};
use crate::error::AppResult;
use crate::gateway::InboundMessage;
use crate::usecases::events::message_payload;
use crate::usecases::pipelines::session_timeout_in;
use chrono::{DateTime, Utc};
use serde_json::json;
use ventros_domain::chat::ChatKind;
use ventros_domain::event::EventType;
use ventros_domain::ids::{MediaFileId, MessageId};
use ventros_domain::job::SessionTimeout;
use ventros_domain::media::{MediaDownload, MediaFile, MediaOrigin, MediaStatus};
use ventros_domain::message::{DeliveryStatus, Direction, Media, Message, SenderKind};
use ventros_domain::session::{Session, SessionTouch};

/// The media file row of a message's media: to download, or failed already when WAHA said
/// it could not give it.
fn media_file_of(
    scope: ventros_domain::tenancy::Scope,
    message: MessageId,
    md: &Media,
    now: DateTime<Utc>,
) -> MediaFile {
    let (status, error) = match (&md.url, &md.error) {
        (_, Some(e)) => (
            MediaStatus::Failed,
            Some(format!("WAHA could not get the media: {e}")),
        ),
        (None, None) => (
            MediaStatus::Failed,
            Some("WAHA gave no URL for the media".into()),
        ),
        (Some(_), None) => (MediaStatus::Pending, None),
    };
    MediaFile {
        id: MediaFileId::new(),
        tenant_id: scope.tenant_id,
        project_id: scope.project_id,
        origin: MediaOrigin::Message,
        message_id: Some(message),
        status,
        mimetype: md.mimetype.clone(),
        filename: md.filename.clone(),
        size: None,
        sha256: None,
        error,
        source_url: md.url.clone(),
        created_at: now,
        updated_at: now,
        stored_at: None,
    }
}

impl Ingest<'_, '_, '_> {
    pub(super) async fn message(
        &mut self,
        m: InboundMessage,
        fallback_at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        let Some(kind) = ChatKind::of(&m.key.chat) else {
            return Ok(IngestOutcome::Ignored(
                "status broadcasts are not conversations".into(),
            ));
        };
        let from_me = m.key.from_me.unwrap_or(m.from_me);
        let at = m.at.unwrap_or(fallback_at);
        if let Some(seen) = self
            .tx
            .find_message(self.channel_id(), Some(from_me), &m.key.raw_id)
            .await?
        {
            // The echo of a send through Ventros confirms it; anything else seen is a copy.
            if from_me && self.confirm_send(seen.id, at).await? {
                return Ok(IngestOutcome::Processed);
            }
            return Ok(IngestOutcome::Duplicate);
        }
        if from_me && m.via_api && self.attach_echo(&m, at).await? {
            return Ok(IngestOutcome::Processed);
        }
        // Who the conversation is with, and who wrote this message.
        let push = if from_me { None } else { m.push_name.clone() };
        let (chat_contact, sender) = match kind {
            ChatKind::Individual => {
                let c = match sighting_of(&m.key.chat, push) {
                    Some(s) => Some(self.contact(&s).await?),
                    None => None,
                };
                (c.clone(), if from_me { None } else { c })
            }
            ChatKind::Group => {
                let sender = match (
                    from_me,
                    m.participant.as_ref().or(m.key.participant.as_ref()),
                ) {
                    (false, Some(p)) => match sighting_of(p, push) {
                        Some(s) => Some(self.contact(&s).await?),
                        None => None,
                    },
                    _ => None,
                };
                (None, sender)
            }
            ChatKind::Channel => (None, None),
        };
        let chat = self
            .chat(&m.key.chat, kind, chat_contact.as_ref(), None)
            .await?;
        let new_session = Session::open(
            self.channel.scope,
            self.channel_id(),
            chat.id,
            chat_contact.as_ref().map(|c| c.id),
            at,
        );
        let opened = new_session.id;
        let session = self.session(new_session).await?;
        if session.id == opened
            && let Some(c) = chat_contact.as_ref()
        {
            // Each new session of a contact still known by its LID asks for its number again.
            self.look_up_lid(c).await?;
        }
        let (direction, sender_kind) = match (from_me, m.via_api) {
            (false, _) => (Direction::Inbound, SenderKind::Contact),
            (true, false) => (Direction::Outbound, SenderKind::PhoneApp),
            (true, true) => (Direction::Outbound, SenderKind::System),
        };
        let initial = if from_me {
            DeliveryStatus::Sent
        } else {
            DeliveryStatus::Delivered
        };
        let status = match self
            .tx
            .take_pending_ack(self.channel_id(), from_me, &m.key.raw_id)
            .await?
        {
            Some(early) => initial.advance(early),
            None => initial,
        };
        let reply_to_message_id = self.find_reply_target(m.reply_to.as_deref()).await?;
        let sender_wa_id = if from_me {
            None
        } else {
            m.participant
                .as_ref()
                .or(m.key.participant.as_ref())
                .map(|j| j.to_string())
                .or_else(|| Some(m.key.chat.to_string()))
        };
        let id = MessageId::new();
        let mut media = m.media;
        let media_file = media.as_mut().map(|md| {
            let f = media_file_of(self.channel.scope, id, md, self.now);
            md.file_id = Some(f.id);
            f
        });
        let message = Message {
            id,
            tenant_id: self.channel.scope.tenant_id,
            project_id: self.channel.scope.project_id,
            channel_id: self.channel_id(),
            chat_id: chat.id,
            session_id: session.id,
            contact_id: sender.as_ref().map(|c| c.id).or(chat.contact_id),
            direction,
            sender_kind,
            sender_wa_id,
            content_type: m.content_type,
            body: m.body,
            media,
            location: m.location,
            vcards: m.vcards,
            reply_to: m.reply_to,
            reply_to_message_id,
            status,
            provider_id: format!("{from_me}_{}_{}", m.key.chat, m.key.raw_id),
            from_me,
            raw_id: m.key.raw_id.clone(),
            imported: false,
            sent_at: at,
            created_at: self.now,
            edited_at: None,
            deleted_at: None,
            reactions: json!({}),
            agent_id: None,
            confirmed_at: None,
            failure: None,
        };
        if !self.tx.insert_message(&message).await? {
            // Lost a race with a concurrent delivery of the same message.
            return Ok(IngestOutcome::Duplicate);
        }
        if let Some(f) = &media_file {
            // Downloaded by a job within seconds: WAHA keeps its copy ~180 s.
            self.tx.insert_media_file(f).await?;
            if f.status == MediaStatus::Pending {
                self.tx.arm_job(&MediaDownload::job(f, self.now)).await?;
            }
        }
        let pipeline = chat_contact.as_ref().and_then(|c| c.pipeline_id);
        self.count_in_session(&session, &message, pipeline).await?;
        let t = if direction == Direction::Inbound {
            EventType::MessageReceived
        } else {
            EventType::MessageSent
        };
        self.em.emit(t, message.id.0, message_payload(&message));
        self.apply_early_changes(from_me, &message.raw_id).await?;
        Ok(IngestOutcome::Processed)
    }

    /// The session's counters, its inactivity timer (re-armed with the timeout of the chat
    /// contact's pipeline when that overrides the channel's) and the chat's message group,
    /// for a message that now counts, in this transaction.
    pub(super) async fn count_in_session(
        &mut self,
        session: &Session,
        message: &Message,
        pipeline: Option<ventros_domain::ids::PipelineId>,
    ) -> AppResult<()> {
        let touch = SessionTouch::of(message.direction, message.sender_kind, message.sent_at);
        self.tx
            .touch_session(session.id, message.chat_id, &touch)
            .await?;
        let mut touched = session.clone();
        touch.apply(&mut touched);
        self.arm_inactivity(&touched, pipeline).await?;
        match message.sender_kind {
            SenderKind::Contact => self.join_message_group(message).await?,
            SenderKind::Agent | SenderKind::PhoneApp => {
                self.supersede_message_group(message).await?
            }
            SenderKind::Bot | SenderKind::System => {}
        }
        Ok(())
    }

    /// (Re-)arms the session's inactivity timer with the timeout of the chat contact's
    /// pipeline when that overrides the channel's. A message delivered later than the
    /// timeout (phone offline, or Ventros down while WAHA retried) counts inactivity from
    /// its arrival, so its session does not end before anyone could answer.
    pub(super) async fn arm_inactivity(
        &mut self,
        session: &Session,
        pipeline: Option<ventros_domain::ids::PipelineId>,
    ) -> AppResult<()> {
        let timeout = session_timeout_in(
            &mut *self.tx,
            self.channel.session_timeout_seconds,
            pipeline,
        )
        .await?;
        self.tx
            .arm_job(&SessionTimeout::on_arrival(session, timeout, self.now))
            .await
    }

    pub(super) async fn find_reply_target(
        &mut self,
        reply_to: Option<&str>,
    ) -> AppResult<Option<MessageId>> {
        let Some(r) = reply_to else { return Ok(None) };
        // `replyTo.id` is usually the bare raw id; some engines send the serialized id.
        let (from_me, raw) = match ventros_domain::wa_id::WaMessageKey::parse(r) {
            Ok(k) => (k.from_me, k.raw_id),
            Err(_) => (None, r.to_string()),
        };
        Ok(self
            .tx
            .find_message(self.channel_id(), from_me, &raw)
            .await?
            .map(|m| m.id))
    }
}
