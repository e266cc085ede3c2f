//! Messages Ventros sends, as the conversation sees them: queued into the chat's session,
//! counted when WhatsApp accepted them (agent replies credited to their author), confirmed by
//! the webhook echo (never stored twice), failed with a reason. Each step is one transaction,
//! with its event; the send saga (`usecases::send_saga`) drives them.

use super::Ingest;
use crate::error::{AppError, AppResult};
use crate::gateway::InboundMessage;
use crate::ports::{IngestStore, IngestTx, WebhookChannel};
use crate::usecases::events::{Emitter, message_payload};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use ventros_domain::agent::{Agent, AgentKind};
use ventros_domain::channel::Channel;
use ventros_domain::chat::Chat;
use ventros_domain::event::{EventContext, EventType};
use ventros_domain::ids::MessageId;
use ventros_domain::message::{DeliveryStatus, Direction, EarlyChange, Media, Message, SenderKind};
use ventros_domain::outbound::{
    CardIn, OutboundContent, OutboundSend, SendFailure, SendJob, SendState, pending_raw_id,
};
use ventros_domain::session::Session;
use ventros_domain::tenancy::Scope;

/// How long after it was handed to WAHA an echo without a known id may still be matched to
/// its send by chat, kind and text (engines that cannot reserve ids).
const ECHO_WINDOW_MINUTES: i64 = 10;

pub fn webhook_channel(c: &Channel) -> WebhookChannel {
    WebhookChannel {
        scope: Scope {
            tenant_id: c.tenant_id,
            project_id: c.project_id,
        },
        channel_id: c.id,
        hmac_key: c.webhook_hmac_key.clone(),
        session_timeout_seconds: c.session_timeout_seconds,
        debounce_timeout_ms: c.debounce_timeout_ms,
        message_group_max_age_ms: c.message_group_max_age_ms,
    }
}

/// A card as the message stores it: the vCard itself, or one made of the name and phone.
fn vcard(c: &CardIn) -> String {
    match c {
        CardIn::Vcard { vcard } => vcard.clone(),
        CardIn::Fields { full_name, phone } => {
            let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
            format!(
                "BEGIN:VCARD\nVERSION:3.0\nFN:{full_name}\nTEL;type=CELL;waid={digits}:+{digits}\nEND:VCARD"
            )
        }
    }
}

fn sender_kind(a: &Agent) -> SenderKind {
    match a.kind {
        AgentKind::Human => SenderKind::Agent,
        AgentKind::Bot => SenderKind::Bot,
        AgentKind::System => SenderKind::System,
    }
}

/// The chat a send goes into: one that exists, or the contact's individual chat on the
/// channel, made now if it does not exist yet.
pub enum ChatRef<'a> {
    Chat(&'a Chat),
    Contact {
        contact: &'a ventros_domain::contact::Contact,
        /// The WhatsApp chat id WAHA resolved for the contact's number.
        wa_chat_id: &'a ventros_domain::wa_id::Jid,
    },
}

/// What a caller asks to send.
pub struct QueueSend<'a> {
    pub channel: &'a Channel,
    pub chat: ChatRef<'a>,
    pub agent: &'a Agent,
    pub content: OutboundContent,
    /// The Ventros message replied to and its WhatsApp id.
    pub reply_to: Option<(MessageId, String)>,
}

/// Runs `$body` with an `Ingest` on one unit of work of `$wc`'s tenant, then appends the
/// events it emitted and commits; the body's value (it returns `AppResult`) is the result.
macro_rules! in_unit {
    ($store:expr, $wc:expr, $now:expr, $ctx:expr, |$ing:ident| $body:block) => {{
        let mut tx = unit($store, $wc.scope).await?;
        let mut em = Emitter {
            scope: $wc.scope,
            ctx: $ctx,
            now: $now,
            events: Vec::new(),
        };
        let out: AppResult<_> = {
            let mut $ing = Ingest {
                tx: tx.as_mut(),
                em: &mut em,
                channel: $wc,
                now: $now,
            };
            async { $body }.await
        };
        let out = out?;
        tx.append_events(&em.events).await?;
        tx.commit().await?;
        Ok(out)
    }};
}

/// One saga step's transaction, with an emitter for its events.
async fn unit<S: IngestStore + ?Sized>(store: &S, scope: Scope) -> AppResult<Box<dyn IngestTx>> {
    store.begin_ingest(scope).await
}

/// Stores the outbound message (pending) in the chat's active session, or a new session the
/// agent starts, with its send row and its send job due now.
pub async fn queue_send(
    store: &(impl IngestStore + ?Sized),
    now: DateTime<Utc>,
    q: QueueSend<'_>,
    ctx: &EventContext,
) -> AppResult<Message> {
    let wc = webhook_channel(q.channel);
    in_unit!(store, &wc, now, ctx, |ing| {
        let chat = match q.chat {
            ChatRef::Chat(c) => c.clone(),
            ChatRef::Contact {
                contact,
                wa_chat_id,
            } => {
                ing.chat(
                    wa_chat_id,
                    ventros_domain::chat::ChatKind::Individual,
                    Some(contact),
                    None,
                )
                .await?
            }
        };
        let session = ing.session_for(&chat, now).await?;
        let id = MessageId::new();
        let raw = pending_raw_id(id);
        let content = q.content;
        let media = content.media().map(|m| Media {
            url: m.url.clone(),
            file_id: m.media_id,
            mimetype: content.mimetype(),
            filename: m.filename.clone(),
            error: None,
        });
        let location = match &content {
            OutboundContent::Location {
                latitude,
                longitude,
                title,
            } => Some(json!({"latitude": latitude, "longitude": longitude, "description": title})),
            _ => None,
        };
        let vcards = match &content {
            OutboundContent::ContactCard { contacts } => contacts.iter().map(vcard).collect(),
            _ => Vec::new(),
        };
        let message = Message {
            id,
            tenant_id: wc.scope.tenant_id,
            project_id: wc.scope.project_id,
            channel_id: q.channel.id,
            chat_id: chat.id,
            session_id: session.id,
            contact_id: chat.contact_id,
            direction: Direction::Outbound,
            sender_kind: sender_kind(q.agent),
            sender_wa_id: None,
            content_type: content.content_type(),
            body: content.body(),
            media,
            location,
            vcards,
            reply_to: q.reply_to.as_ref().map(|r| r.1.clone()),
            reply_to_message_id: q.reply_to.as_ref().map(|r| r.0),
            status: DeliveryStatus::Pending,
            provider_id: raw.clone(),
            from_me: true,
            raw_id: raw,
            imported: false,
            sent_at: now,
            created_at: now,
            edited_at: None,
            deleted_at: None,
            reactions: json!({}),
            agent_id: Some(q.agent.id),
            confirmed_at: None,
            failure: None,
        };
        if !ing.tx.insert_message(&message).await? {
            return Err(AppError::internal("a new message id collided"));
        }
        let send = OutboundSend {
            message_id: id,
            tenant_id: wc.scope.tenant_id,
            project_id: wc.scope.project_id,
            channel_id: q.channel.id,
            chat_id: chat.id,
            wa_chat_id: chat.wa_chat_id.clone(),
            state: SendState::Queued,
            content,
            reply_to: message.reply_to.clone(),
            reserved_id: None,
            attempts: 0,
            outcome_unknown: false,
            typing_until: None,
            queued_at: now,
            sent_at: None,
            updated_at: now,
        };
        ing.tx.insert_send(&send).await?;
        ing.tx.arm_job(&SendJob::send(&send, now, now)).await?;
        let mut p = message_payload(&message);
        p["agent_id"] = json!(q.agent.id);
        ing.em.emit(EventType::MessageQueued, id.0, p);
        Ok(message)
    })
}

/// A send as its job sees it before acting.
#[derive(Debug, Clone)]
pub struct SendView {
    pub send: OutboundSend,
    /// The message's current WhatsApp id (`pending:…` until known).
    pub provider_id: String,
    /// A send of the same chat queued earlier has not left yet.
    pub earlier_unsent: bool,
    /// Sends of the channel WAHA accepted since the pacing window began, and the earliest.
    pub sent_in_window: (i64, Option<DateTime<Utc>>),
}

pub async fn send_view(
    store: &(impl IngestStore + ?Sized),
    scope: Scope,
    id: MessageId,
    window_start: DateTime<Utc>,
) -> AppResult<Option<SendView>> {
    let mut tx = unit(store, scope).await?;
    let view = match tx.get_send(id).await? {
        None => None,
        Some(send) => {
            let provider_id = tx
                .get_message(id)
                .await?
                .map(|m| m.provider_id)
                .unwrap_or_default();
            let earlier_unsent = tx.earlier_unsent_in_chat(&send).await?;
            let sent_in_window = tx.sent_since(send.channel_id, window_start).await?;
            Some(SendView {
                send,
                provider_id,
                earlier_unsent,
                sent_in_window,
            })
        }
    };
    tx.commit().await?;
    Ok(view)
}

/// The channel a send's steps are recorded under once the channel itself is gone: enough
/// for steps that count nothing (a failure).
pub fn orphan_channel(send: &OutboundSend) -> WebhookChannel {
    WebhookChannel {
        scope: send.scope(),
        channel_id: send.channel_id,
        hmac_key: None,
        session_timeout_seconds: 0,
        debounce_timeout_ms: 0,
        message_group_max_age_ms: 0,
    }
}

/// What the saga learned, to record on the send.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// An id was reserved (or the engine cannot reserve one); the call is about to be made.
    Calling {
        reserved: Option<String>,
    },
    /// "typing…" is showing; the message leaves at `until`.
    Typing {
        until: DateTime<Utc>,
    },
    /// WAHA accepted it, naming the serialized id when its answer did; unconfirmed by
    /// `confirm_by`, WAHA is asked.
    Accepted {
        provider_id: Option<String>,
        confirm_by: DateTime<Utc>,
    },
    /// The call's outcome is unknown: never send again without finding out.
    Unknown,
    /// The call never reached WAHA: nothing was sent.
    NotSent,
    /// WhatsApp has it (an echo, an ack, or WAHA asked): sent at `at`.
    Confirmed {
        at: DateTime<Utc>,
    },
    Failed {
        code: String,
        message: String,
    },
}

/// Records one step of a send in one transaction; the send afterwards (`None`: no such
/// send). Steps after the send is final change nothing, but a confirmation revives a send
/// given up as unconfirmed.
pub async fn record(
    store: &(impl IngestStore + ?Sized),
    now: DateTime<Utc>,
    wc: &WebhookChannel,
    message_id: MessageId,
    step: Step,
    ctx: &EventContext,
) -> AppResult<Option<OutboundSend>> {
    in_unit!(store, wc, now, ctx, |ing| {
        let send = match step {
            Step::Confirmed { at } => {
                ing.confirm_send(message_id, at).await?;
                ing.tx.get_send(message_id).await?
            }
            other => ing.step(message_id, other).await?,
        };
        Ok(send)
    })
}

impl Ingest<'_, '_, '_> {
    /// The chat's active session (ending it first when its inactivity deadline has passed
    /// by `at`), or a new one started now; a new one gets its inactivity timer.
    async fn session_for(&mut self, chat: &Chat, at: DateTime<Utc>) -> AppResult<Session> {
        let new = Session::open(
            self.channel.scope,
            self.channel_id(),
            chat.id,
            chat.contact_id,
            at,
        );
        let s = self.session(new.clone()).await?;
        if s.id == new.id {
            let pipeline = self.chat_pipeline(chat).await?;
            self.arm_inactivity(&s, pipeline).await?;
        }
        Ok(s)
    }

    /// The pipeline of the chat's contact, if it has one.
    async fn chat_pipeline(
        &mut self,
        chat: &Chat,
    ) -> AppResult<Option<ventros_domain::ids::PipelineId>> {
        match chat.contact_id {
            Some(c) => self.tx.contact_pipeline(c).await,
            None => Ok(None),
        }
    }

    /// Counts a sent message in its session, moving it to the chat's current session when
    /// the one it was queued in has ended meanwhile.
    async fn count_sent(&mut self, wa_chat_id: &str, m: &mut Message) -> AppResult<()> {
        let chat = self
            .tx
            .find_chat(self.channel_id(), wa_chat_id)
            .await?
            .ok_or_else(|| AppError::internal("a sent message's chat is gone"))?;
        let session = self.session_for(&chat, m.sent_at).await?;
        m.session_id = session.id;
        let pipeline = self.chat_pipeline(&chat).await?;
        self.count_in_session(&session, m, pipeline).await
    }

    async fn load(&mut self, id: MessageId) -> AppResult<Option<(OutboundSend, Message)>> {
        let Some(send) = self.tx.get_send(id).await? else {
            return Ok(None);
        };
        let m = self
            .tx
            .get_message(id)
            .await?
            .ok_or_else(|| AppError::internal("a send's message is gone"))?;
        Ok(Some((send, m)))
    }

    async fn save(&mut self, send: &mut OutboundSend, m: &Message) -> AppResult<()> {
        send.updated_at = self.now;
        self.tx.update_send(send).await?;
        self.tx.update_outbound_message(m).await
    }

    /// Gives a message whose id was still the placeholder its WhatsApp ids, with any ack
    /// that came before them. `true` when such an ack says WhatsApp has it.
    async fn adopt_id(&mut self, m: &mut Message, provider_id: &str) -> AppResult<bool> {
        if !m.raw_id.starts_with("pending:") {
            return Ok(false);
        }
        let Ok(k) = ventros_domain::wa_id::WaMessageKey::parse(provider_id) else {
            return Ok(false);
        };
        m.raw_id = k.raw_id;
        m.provider_id = provider_id.to_string();
        // Reactions, edits or a revoke that came before WhatsApp's id was known.
        self.tx.update_outbound_message(m).await?;
        self.apply_early_changes(true, &m.raw_id).await?;
        let early = self
            .tx
            .take_pending_ack(self.channel_id(), true, &m.raw_id)
            .await?;
        Ok(match early {
            Some(s) if s >= DeliveryStatus::Sent => {
                m.status = m.status.advance(s);
                true
            }
            _ => false,
        })
    }

    async fn step(&mut self, id: MessageId, step: Step) -> AppResult<Option<OutboundSend>> {
        let Some((mut send, mut m)) = self.load(id).await? else {
            return Ok(None);
        };
        // Once WAHA accepted it, only giving up on its confirmation still applies.
        if send.state.is_final()
            || (send.state == SendState::Sent && !matches!(step, Step::Failed { .. }))
        {
            return Ok(Some(send));
        }
        match step {
            Step::Calling { reserved } => {
                if let Some(raw) = reserved {
                    let provider = format!("true_{}_{raw}", send.wa_chat_id);
                    self.adopt_id(&mut m, &provider).await?;
                    send.reserved_id = Some(raw);
                }
                send.state = SendState::Sending;
                send.attempts += 1;
                // Until an answer says otherwise, the call may have happened.
                send.outcome_unknown = true;
            }
            Step::Typing { until } => send.typing_until = Some(until),
            Step::Accepted {
                provider_id,
                confirm_by,
            } => {
                let acked = match provider_id {
                    Some(p) => self.adopt_id(&mut m, &p).await?,
                    None => false,
                };
                send.state = SendState::Sent;
                send.outcome_unknown = false;
                send.sent_at = Some(self.now);
                m.status = m
                    .status
                    .advance(DeliveryStatus::Sent)
                    .max(DeliveryStatus::Sent);
                m.sent_at = self.now;
                self.count_sent(&send.wa_chat_id, &mut m).await?;
                self.tx
                    .arm_job(&SendJob::confirm(&send, confirm_by, self.now))
                    .await?;
                self.em
                    .emit(EventType::MessageSent, id.0, message_payload(&m));
                if acked {
                    self.save(&mut send, &m).await?;
                    self.confirm_send(id, self.now).await?;
                    return self.tx.get_send(id).await;
                }
            }
            Step::Unknown => send.outcome_unknown = true,
            Step::NotSent => send.outcome_unknown = false,
            Step::Failed { code, message } => {
                let failure = SendFailure {
                    code,
                    message,
                    attempts: send.attempts,
                };
                send.state = SendState::Failed;
                m.status = DeliveryStatus::Failed;
                m.failure = Some(failure.clone());
                let mut p = message_payload(&m);
                p["failure"] = json!(failure);
                self.em.emit(EventType::MessageFailed, id.0, p);
            }
            // Recorded through `confirm_send` (see `record`).
            Step::Confirmed { .. } => {}
        }
        self.save(&mut send, &m).await?;
        Ok(Some(send))
    }

    /// Confirms a send through Ventros: counted now when it was not yet (the echo came
    /// before WAHA's answer), a send given up as unconfirmed revived. `false` when the
    /// message was not sent through Ventros.
    pub(super) async fn confirm_send(
        &mut self,
        id: MessageId,
        at: DateTime<Utc>,
    ) -> AppResult<bool> {
        let Some((mut send, mut m)) = self.load(id).await? else {
            return Ok(false);
        };
        if send.state == SendState::Confirmed {
            return Ok(true);
        }
        let counted = send.state == SendState::Sent;
        if !counted {
            m.sent_at = at;
            if send.sent_at.is_none() {
                send.sent_at = Some(at.min(self.now));
            }
        }
        let revived = send.state == SendState::Failed;
        send.state = SendState::Confirmed;
        send.outcome_unknown = false;
        m.status = if revived {
            DeliveryStatus::Sent
        } else {
            m.status.advance(DeliveryStatus::Sent)
        };
        m.failure = None;
        m.confirmed_at = Some(self.now);
        if !counted {
            self.count_sent(&send.wa_chat_id, &mut m).await?;
            self.em
                .emit(EventType::MessageSent, id.0, message_payload(&m));
        }
        self.em
            .emit(EventType::MessageConfirmed, id.0, message_payload(&m));
        self.save(&mut send, &m).await?;
        Ok(true)
    }

    /// An echo (`fromMe`, sent through the gateway's API) whose id Ventros did not know yet:
    /// if it is one of its own sends, by chat, kind and text within the echo window, that
    /// send takes the echo's id and is confirmed. `false` when no send matches.
    pub(super) async fn attach_echo(
        &mut self,
        e: &InboundMessage,
        at: DateTime<Utc>,
    ) -> AppResult<bool> {
        let Some(chat) = self
            .tx
            .find_chat(self.channel_id(), &e.key.chat.to_string())
            .await?
        else {
            return Ok(false);
        };
        let since = self.now - Duration::minutes(ECHO_WINDOW_MINUTES);
        let Some(id) = self
            .tx
            .find_send_for_echo(chat.id, e.content_type, e.body.as_deref(), since)
            .await?
        else {
            return Ok(false);
        };
        if let Some(mut m) = self.tx.get_message(id).await? {
            let provider = format!("true_{}_{}", e.key.chat, e.key.raw_id);
            self.adopt_id(&mut m, &provider).await?;
            self.tx.update_outbound_message(&m).await?;
        }
        self.confirm_send(id, at).await
    }
}

/// A change to a message that Ventros itself made through WAHA (react, edit, delete for
/// everyone), applied at once like the webhook would; the webhook's copy then changes
/// nothing.
#[derive(Debug, Clone, Copy)]
pub enum OwnChange<'a> {
    Reaction {
        /// Whether the message reacted to is one of ours.
        from_me: bool,
        raw_id: &'a str,
        emoji: &'a str,
    },
    Edit {
        raw_id: &'a str,
        text: &'a str,
    },
    Delete {
        raw_id: &'a str,
    },
}

pub async fn apply_own(
    store: &(impl IngestStore + ?Sized),
    now: DateTime<Utc>,
    wc: &WebhookChannel,
    change: OwnChange<'_>,
    ctx: &EventContext,
) -> AppResult<()> {
    in_unit!(store, wc, now, ctx, |ing| {
        match change {
            OwnChange::Reaction {
                from_me,
                raw_id,
                emoji,
            } => {
                let change = EarlyChange::Reaction {
                    reactor: "me".into(),
                    text: emoji.to_string(),
                };
                ing.change(Some(from_me), raw_id, change).await?
            }
            OwnChange::Edit { raw_id, text } => {
                let body = Some(text.to_string());
                ing.change(None, raw_id, EarlyChange::Edited { body, at: now })
                    .await?
            }
            OwnChange::Delete { raw_id } => {
                ing.change(None, raw_id, EarlyChange::Revoked { at: now })
                    .await?
            }
        };
        Ok(())
    })
}
