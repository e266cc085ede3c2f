//! The hot path: one gateway webhook becomes durable CRM state and outbox events in one
//! transaction (DESIGN §5). Duplicates change nothing.

use crate::error::AppError;
use crate::error::AppResult;
use crate::gateway::{GroupChange, InboundDelivery, InboundEvent, InboundMessage};
use crate::ports::{Clock, DeliveryRecord, IngestTx, Store, WebhookChannel};
use crate::usecases::ingest_events::{
    Emitter, chat_payload, contact_payload, message_payload, session_payload,
};
use crate::usecases::pipelines::session_timeout_in;
use chrono::{DateTime, Utc};
use serde_json::json;
use ventros_domain::chat::{Chat, ChatKind};
use ventros_domain::contact::{Contact, ContactSighting};
use ventros_domain::event::{EventContext, EventType};
use ventros_domain::ids::{ChannelId, ChatId, DeliveryId, MessageGroupId, MessageId};
use ventros_domain::job::SessionTimeout;
use ventros_domain::message::{DeliveryStatus, Direction, Message, SenderKind};
use ventros_domain::message_group::{GroupStatus, MessageGroup};
use ventros_domain::session::{Session, SessionTouch};
use ventros_domain::wa_id::{Jid, JidKind};

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Processed,
    /// The same delivery, or the same message through another delivery, was seen before.
    Duplicate,
    /// Understood, nothing to act on.
    Ignored(String),
    /// Missing what it needs (kept in the delivery log).
    Rejected(String),
    /// Refers to a message Ventros does not have.
    Unmatched(String),
}

impl IngestOutcome {
    /// The stable outcome name (as logged in `inbound_deliveries` and answered to WAHA) and its reason.
    pub fn label(&self) -> (&'static str, Option<&str>) {
        match self {
            IngestOutcome::Processed => ("processed", None),
            IngestOutcome::Duplicate => ("duplicate", None),
            IngestOutcome::Ignored(r) => ("ignored", Some(r)),
            IngestOutcome::Rejected(r) => ("rejected", Some(r)),
            IngestOutcome::Unmatched(r) => ("unmatched", Some(r)),
        }
    }
}

pub async fn ingest_webhook(
    store: &dyn Store,
    clock: &dyn Clock,
    channel: &WebhookChannel,
    delivery: InboundDelivery,
    ctx: &EventContext,
) -> AppResult<IngestOutcome> {
    let now = clock.now();
    let mut tx = store.begin_ingest(channel.scope).await?;
    let record = DeliveryRecord {
        id: DeliveryId::new(),
        channel_id: channel.channel_id,
        dedupe_key: delivery.dedupe_key.clone(),
        event_name: delivery.event_name.clone(),
        outcome: "processed".into(),
        detail: None,
        body: delivery.raw,
        received_at: now,
    };
    if !tx.record_delivery(&record).await? {
        // Seen before: nothing was written; close the (empty) unit of work normally.
        tx.commit().await?;
        return Ok(IngestOutcome::Duplicate);
    }
    let ctx = EventContext {
        source: ctx.source.clone(),
        correlation_id: ctx
            .correlation_id
            .clone()
            .or_else(|| Some(delivery.dedupe_key.clone())),
        causation_id: Some(delivery.dedupe_key.clone()),
    };
    let mut em = Emitter {
        scope: channel.scope,
        ctx: &ctx,
        now,
        events: Vec::new(),
    };
    let fallback_at = delivery.occurred_at.unwrap_or(now);
    let mut ing = Ingest {
        tx: tx.as_mut(),
        em: &mut em,
        channel,
        now,
    };
    let outcome = match delivery.event {
        InboundEvent::Message(m) => ing.message(*m, fallback_at).await?,
        InboundEvent::Ack {
            key,
            from_me,
            status,
        } => {
            let from_me = key.from_me.unwrap_or(from_me);
            ing.ack(from_me, &key.raw_id, status).await?
        }
        InboundEvent::Revoked { raw_id, .. } => ing.revoked(&raw_id, fallback_at).await?,
        InboundEvent::Edited {
            raw_id, body, at, ..
        } => ing.edited(&raw_id, body, at.unwrap_or(fallback_at)).await?,
        InboundEvent::Reaction {
            target,
            reactor,
            from_me,
            text,
            ..
        } => {
            let reactor = if from_me {
                "me".to_string()
            } else {
                reactor
                    .map(|j| j.to_string())
                    .unwrap_or_else(|| "unknown".into())
            };
            ing.reaction(target.from_me, &target.raw_id, &reactor, &text)
                .await?
        }
        InboundEvent::SessionStatus { status } => ing.session_status(&status).await?,
        InboundEvent::Presence { chat, presences } => ing.presence(&chat, presences).await?,
        InboundEvent::Group(g) => ing.group(g, fallback_at).await?,
        InboundEvent::Call {
            call_event,
            call_id,
            from,
            is_video,
            is_group,
            at,
        } => {
            ing.call(
                &call_event,
                &call_id,
                from,
                is_video,
                is_group,
                at.unwrap_or(fallback_at),
            )
            .await?
        }
        InboundEvent::PollVote {
            poll,
            voter,
            selected,
            failed,
            at,
        } => {
            ing.poll_vote(
                &poll.raw_id,
                poll.from_me,
                voter,
                &selected,
                failed,
                at.unwrap_or(fallback_at),
            )
            .await?
        }
        InboundEvent::Unhandled { reason } => IngestOutcome::Ignored(reason),
    };
    if outcome != IngestOutcome::Processed {
        let (label, detail) = outcome.label();
        tx.set_delivery_outcome(record.id, label, detail).await?;
    }
    if outcome == IngestOutcome::Duplicate {
        // A message seen through another delivery: log this one, change nothing else.
        tx.commit().await?;
        return Ok(outcome);
    }
    tx.append_events(&em.events).await?;
    tx.commit().await?;
    Ok(outcome)
}

struct Ingest<'a, 'e, 'c> {
    tx: &'a mut dyn IngestTx,
    em: &'a mut Emitter<'e>,
    channel: &'c WebhookChannel,
    now: DateTime<Utc>,
}

fn sighting_of(jid: &Jid, push_name: Option<String>) -> Option<ContactSighting> {
    let s = match jid.kind() {
        JidKind::Person => ContactSighting {
            phone: jid.phone(),
            wa_id: Some(jid.to_string()),
            lid: None,
            push_name,
        },
        JidKind::Lid => ContactSighting {
            phone: None,
            wa_id: None,
            lid: Some(jid.to_string()),
            push_name,
        },
        _ => return None,
    };
    s.has_identity().then_some(s)
}

impl Ingest<'_, '_, '_> {
    fn channel_id(&self) -> ChannelId {
        self.channel.channel_id
    }

    /// Finds or creates the contact and emits `contact.created` / `contact.updated`. A
    /// concurrent delivery may insert the same contact first: then our insert is a no-op and
    /// the second look finds theirs.
    async fn contact(&mut self, s: &ContactSighting) -> AppResult<Contact> {
        for _ in 0..2 {
            if let Some(mut c) = self.tx.find_contact(s).await? {
                if let Some(ch) = s.changes_to(&c) {
                    ch.apply(&mut c, self.now);
                    self.tx.update_contact(&c).await?;
                    let mut p = contact_payload(&c);
                    p["changed"] = json!(ch.field_names());
                    self.em.emit(EventType::ContactUpdated, c.id.0, p);
                }
                return Ok(c);
            }
            let c = s.to_new_contact(
                self.channel.scope.tenant_id,
                self.channel.scope.project_id,
                self.now,
            );
            if self.tx.insert_contact(&c).await? {
                self.em
                    .emit(EventType::ContactCreated, c.id.0, contact_payload(&c));
                return Ok(c);
            }
        }
        Err(AppError::internal("contact upsert lost two races"))
    }

    async fn chat(
        &mut self,
        jid: &Jid,
        kind: ChatKind,
        contact: Option<&Contact>,
        subject: Option<String>,
    ) -> AppResult<Chat> {
        let new = Chat {
            id: ChatId::new(),
            tenant_id: self.channel.scope.tenant_id,
            project_id: self.channel.scope.project_id,
            channel_id: self.channel_id(),
            wa_chat_id: jid.to_string(),
            kind,
            contact_id: contact.map(|c| c.id),
            subject,
            last_message_at: None,
            created_at: self.now,
        };
        for _ in 0..2 {
            if let Some(c) = self.tx.find_chat(new.channel_id, &new.wa_chat_id).await? {
                return Ok(c);
            }
            if self.tx.insert_chat(&new).await? {
                self.em
                    .emit(EventType::ChatCreated, new.id.0, chat_payload(&new));
                return Ok(new);
            }
        }
        Err(AppError::internal("chat upsert lost two races"))
    }

    /// The chat's active session, or `new` opened (one active session per chat).
    async fn session(&mut self, new: Session) -> AppResult<Session> {
        for _ in 0..2 {
            if let Some(s) = self.tx.find_active_session(new.chat_id).await? {
                return Ok(s);
            }
            if self.tx.insert_session(&new).await? {
                self.em
                    .emit(EventType::SessionStarted, new.id.0, session_payload(&new));
                return Ok(new);
            }
        }
        Err(AppError::internal("session open lost two races"))
    }

    async fn message(
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
        if self
            .tx
            .find_message(self.channel_id(), Some(from_me), &m.key.raw_id)
            .await?
            .is_some()
        {
            return Ok(IngestOutcome::Duplicate);
        }
        let at = m.at.unwrap_or(fallback_at);
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
        let session = self.session(new_session).await?;
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
        let message = Message {
            id: MessageId::new(),
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
            media: m.media,
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
        };
        if !self.tx.insert_message(&message).await? {
            // Lost a race with a concurrent delivery of the same message.
            return Ok(IngestOutcome::Duplicate);
        }
        let touch = SessionTouch::of(direction, sender_kind, at);
        self.tx.touch_session(session.id, chat.id, &touch).await?;
        // Every message re-arms the session's inactivity timer, in this transaction, with the
        // timeout of the chat contact's pipeline when it overrides the channel's.
        let mut touched = session.clone();
        touch.apply(&mut touched);
        let timeout = session_timeout_in(
            &mut *self.tx,
            self.channel.session_timeout_seconds,
            chat_contact.as_ref().and_then(|c| c.pipeline_id),
        )
        .await?;
        self.tx
            .arm_job(&SessionTimeout::job(&touched, timeout, self.now))
            .await?;
        match sender_kind {
            SenderKind::Contact => self.join_message_group(&message).await?,
            SenderKind::Agent | SenderKind::PhoneApp => {
                self.supersede_message_group(&message).await?
            }
            SenderKind::Bot | SenderKind::System => {}
        }
        let t = if direction == Direction::Inbound {
            EventType::MessageReceived
        } else {
            EventType::MessageSent
        };
        self.em.emit(t, message.id.0, message_payload(&message));
        Ok(IngestOutcome::Processed)
    }

    /// Debounce: the contact's message joins the chat's pending group (or opens one) and
    /// moves the group's window.
    async fn join_message_group(&mut self, m: &Message) -> AppResult<()> {
        let g = match self
            .tx
            .append_to_message_group(m.chat_id, m.id, self.now)
            .await?
        {
            Some(g) => g,
            None => {
                let g = MessageGroup {
                    id: MessageGroupId::new(),
                    tenant_id: m.tenant_id,
                    project_id: m.project_id,
                    channel_id: m.channel_id,
                    chat_id: m.chat_id,
                    session_id: m.session_id,
                    status: GroupStatus::Pending,
                    message_ids: vec![m.id],
                    opened_at: self.now,
                    last_message_at: self.now,
                    debounce_ms: self.channel.debounce_timeout_ms,
                    max_age_ms: self.channel.message_group_max_age_ms,
                    closed_at: None,
                };
                if self.tx.insert_message_group(&g).await? {
                    g
                } else {
                    // Another delivery opened it first: join that one.
                    self.tx
                        .append_to_message_group(m.chat_id, m.id, self.now)
                        .await?
                        .ok_or_else(|| {
                            AppError::conflict(
                                "message_group_busy",
                                "message group changed concurrently",
                            )
                        })?
                }
            }
        };
        self.tx.arm_job(&g.job(self.now)).await
    }

    /// A human answering in the chat makes its pending group moot.
    async fn supersede_message_group(&mut self, m: &Message) -> AppResult<()> {
        if let Some(g) = self.tx.supersede_message_group(m.chat_id, self.now).await? {
            self.em.emit(
                EventType::MessageGroupSuperseded,
                g.id.0,
                json!({
                    "group_id": g.id,
                    "channel_id": g.channel_id,
                    "chat_id": g.chat_id,
                    "session_id": g.session_id,
                    "message_ids": g.message_ids,
                    "superseded_by_message_id": m.id,
                    "opened_at": g.opened_at,
                    "closed_at": g.closed_at,
                }),
            );
        }
        Ok(())
    }

    async fn find_reply_target(&mut self, reply_to: Option<&str>) -> AppResult<Option<MessageId>> {
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

    async fn ack(
        &mut self,
        from_me: bool,
        raw_id: &str,
        status: DeliveryStatus,
    ) -> AppResult<IngestOutcome> {
        match self
            .tx
            .find_message(self.channel_id(), Some(from_me), raw_id)
            .await?
        {
            Some(m) => {
                let next = m.status.advance(status);
                if next == m.status {
                    return Ok(IngestOutcome::Ignored(format!(
                        "status stays {}",
                        m.status.as_str()
                    )));
                }
                self.tx.set_message_status(m.id, next).await?;
                self.em.emit(
                    EventType::MessageStatusChanged,
                    m.id.0,
                    json!({"message_id": m.id, "chat_id": m.chat_id, "session_id": m.session_id,
                           "contact_id": m.contact_id, "from": m.status, "to": next}),
                );
                Ok(IngestOutcome::Processed)
            }
            None => {
                self.tx
                    .keep_pending_ack(self.channel_id(), from_me, raw_id, status, self.now)
                    .await?;
                Ok(IngestOutcome::Unmatched(
                    "ack kept until its message arrives".into(),
                ))
            }
        }
    }

    async fn revoked(&mut self, raw_id: &str, at: DateTime<Utc>) -> AppResult<IngestOutcome> {
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), None, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("revoked message not found".into()));
        };
        if m.deleted {
            return Ok(IngestOutcome::Ignored("already deleted".into()));
        }
        self.tx.mark_message_deleted(m.id, at).await?;
        self.em.emit(
            EventType::MessageDeleted,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "session_id": m.session_id, "contact_id": m.contact_id, "deleted_at": at}),
        );
        Ok(IngestOutcome::Processed)
    }

    async fn edited(
        &mut self,
        raw_id: &str,
        body: Option<String>,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), None, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("edited message not found".into()));
        };
        if m.body == body {
            return Ok(IngestOutcome::Ignored("body unchanged".into()));
        }
        self.tx
            .edit_message(m.id, m.body.as_deref(), body.as_deref(), at)
            .await?;
        self.em.emit(
            EventType::MessageEdited,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "session_id": m.session_id, "contact_id": m.contact_id,
                   "previous_body": m.body, "body": body, "edited_at": at}),
        );
        Ok(IngestOutcome::Processed)
    }

    async fn reaction(
        &mut self,
        from_me: Option<bool>,
        raw_id: &str,
        reactor: &str,
        text: &str,
    ) -> AppResult<IngestOutcome> {
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), from_me, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("reacted message not found".into()));
        };
        let mut reactions = match m.reactions {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let before = reactions.get(reactor).cloned();
        if text.is_empty() {
            reactions.remove(reactor);
        } else {
            reactions.insert(reactor.to_string(), json!(text));
        }
        if reactions.get(reactor).cloned() == before {
            return Ok(IngestOutcome::Ignored("reaction unchanged".into()));
        }
        let reactions = serde_json::Value::Object(reactions);
        self.tx.set_reactions(m.id, &reactions).await?;
        self.em.emit(
            EventType::MessageReactionChanged,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "contact_id": m.contact_id, "reactor": reactor,
                   "reaction": if text.is_empty() { None } else { Some(text) }, "reactions": reactions}),
        );
        Ok(IngestOutcome::Processed)
    }

    async fn session_status(&mut self, status: &str) -> AppResult<IngestOutcome> {
        let status = ventros_domain::channel::normalise_status(status);
        let previous = self
            .tx
            .set_channel_status(self.channel_id(), &status, self.now)
            .await?;
        if previous == status {
            return Ok(IngestOutcome::Ignored(format!("status stays {status}")));
        }
        self.em.emit(
            EventType::ChannelStatusChanged,
            self.channel_id().0,
            json!({"channel_id": self.channel_id(), "from": previous, "to": status}),
        );
        Ok(IngestOutcome::Processed)
    }

    async fn presence(
        &mut self,
        chat: &Jid,
        presences: serde_json::Value,
    ) -> AppResult<IngestOutcome> {
        let Some(c) = self
            .tx
            .find_chat(self.channel_id(), &chat.to_string())
            .await?
        else {
            return Ok(IngestOutcome::Unmatched(
                "presence for an unknown chat".into(),
            ));
        };
        self.em.emit(
            EventType::ChatPresenceUpdated,
            c.id.0,
            json!({"chat_id": c.id, "contact_id": c.contact_id, "presences": presences}),
        );
        Ok(IngestOutcome::Processed)
    }

    async fn group(&mut self, g: GroupChange, at: DateTime<Utc>) -> AppResult<IngestOutcome> {
        let at = g.at.unwrap_or(at);
        let chat = self
            .chat(&g.group, ChatKind::Group, None, g.subject.clone())
            .await?;
        // `join`/`leave` are about our own account; `participants.*` about other members.
        let (left, what) = match g.change.as_str() {
            "join" => (false, "joined"),
            "leave" => (true, "left"),
            "update" => (false, "updated"),
            "participants.join" => (false, "participants_joined"),
            "participants.leave" => (true, "participants_left"),
            "participants.promote" => (false, "participants_promoted"),
            "participants.demote" => (false, "participants_demoted"),
            _ => (false, "participants_updated"),
        };
        if g.change == "leave" {
            self.tx
                .upsert_participants(chat.id, &[("me".into(), "left".into())], true, at)
                .await?;
        }
        if !g.participants.is_empty() {
            self.tx
                .upsert_participants(chat.id, &g.participants, left, at)
                .await?;
        }
        if let (Some(s), false) = (g.subject.as_deref(), chat.subject == g.subject) {
            self.tx.set_chat_subject(chat.id, s).await?;
            self.em.emit(
                EventType::ChatUpdated,
                chat.id.0,
                json!({"chat_id": chat.id, "subject": s}),
            );
        }
        let parts: Vec<_> = g
            .participants
            .iter()
            .map(|(id, role)| json!({"wa_id": id, "role": role}))
            .collect();
        self.em.emit(
            EventType::ChatParticipantsChanged,
            chat.id.0,
            json!({"chat_id": chat.id, "change": what, "participants": parts, "at": at}),
        );
        Ok(IngestOutcome::Processed)
    }

    async fn call(
        &mut self,
        call_event: &str,
        call_id: &str,
        from: Option<Jid>,
        is_video: bool,
        is_group: bool,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        let Some(s) = from.as_ref().and_then(|j| sighting_of(j, None)) else {
            return Ok(IngestOutcome::Rejected("call without a caller".into()));
        };
        let c = self.contact(&s).await?;
        self.em.emit(
            EventType::ContactCallReceived,
            c.id.0,
            json!({"contact_id": c.id, "call_event": call_event, "call_id": call_id, "is_video": is_video, "is_group": is_group, "at": at}),
        );
        Ok(IngestOutcome::Processed)
    }

    async fn poll_vote(
        &mut self,
        raw_id: &str,
        from_me: Option<bool>,
        voter: Option<Jid>,
        selected: &[String],
        failed: bool,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        if failed {
            return Ok(IngestOutcome::Ignored(
                "the gateway could not decrypt this vote".into(),
            ));
        }
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), from_me, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("poll not found".into()));
        };
        let voter = voter.map(|j| j.to_string()).unwrap_or_else(|| "me".into());
        self.tx.record_poll_vote(m.id, &voter, selected, at).await?;
        self.em.emit(
            EventType::PollVoteReceived,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "contact_id": m.contact_id, "voter": voter, "selected_options": selected, "at": at}),
        );
        Ok(IngestOutcome::Processed)
    }
}
