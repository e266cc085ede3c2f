//! The send saga's jobs (docs/MESSAGING.md): `message.send` hands a queued message to WAHA
//! exactly once, `message.confirm` asks WAHA about a sent message no echo or ack confirmed.
//!
//! Never twice: before each call the send is marked as possibly sent, in its own
//! transaction. A later run that finds it so looks the message up in WAHA (by the id
//! reserved before the call) and sends again only when WAHA does not have it; an engine that
//! cannot reserve ids waits for the echo instead and, without one, fails the send as
//! `unconfirmed` rather than risk a second copy.

use crate::error::AppResult;
use crate::ports::{
    ChannelStore, Clock, ContactCard, FileSource, GatewayError, GatewayTarget, IngestStore,
    JobFinish, JobHandler, MediaStore, MessageGateway, SendBody, SendFile, SendRequest,
    WebhookChannel, media_key,
};
use crate::usecases::channel_activation::target;
use crate::usecases::events::job_payload;
use crate::usecases::ingest::{SendView, Step, orphan_channel, record, send_view, webhook_channel};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use ventros_domain::channel::Channel;
use ventros_domain::event::EventContext;
use ventros_domain::job::{Job, retry_delay};
use ventros_domain::outbound::{
    CONFIRM_JOB, CardIn, MediaRef, OutboundContent, OutboundSend, SEND_JOB, SendJob, SendState,
};

/// How long a send waits before looking again at a channel that cannot send now.
const CHANNEL_WAIT_SECONDS: i64 = 15;
/// How long a send waits for an earlier send of its chat to leave.
const TURN_WAIT_SECONDS: i64 = 1;
/// The pacing window `max_messages_per_minute` counts in.
const PACING_WINDOW_SECONDS: i64 = 60;
/// "typing…" before a human-paced send: per character, and its bounds.
const TYPING_MS_PER_CHAR: i64 = 40;
const TYPING_MIN_MS: i64 = 800;
const TYPING_MAX_MS: i64 = 6_000;

fn saga_ctx(job: &Job) -> EventContext {
    EventContext {
        source: "worker".into(),
        correlation_id: Some(format!("message:{}", job.key)),
        causation_id: Some(format!("job:{}", job.id)),
    }
}

fn mime_file(m: &MediaRef, mimetype: Option<String>, data: &Option<Vec<u8>>) -> SendFile {
    let source = match (data, &m.url) {
        (Some(bytes), _) => FileSource::Data(bytes.clone()),
        (None, url) => FileSource::Url(url.clone().unwrap_or_default()),
    };
    SendFile {
        source,
        mimetype: mimetype.unwrap_or_else(|| "application/octet-stream".into()),
        filename: m.filename.clone(),
    }
}

/// `…@c.us` for a mention written as a phone.
fn mention_id(m: &str) -> String {
    if m.contains('@') {
        m.to_string()
    } else {
        let digits: String = m.chars().filter(char::is_ascii_digit).collect();
        format!("{digits}@c.us")
    }
}

/// The gateway call for a send; `data` is the uploaded file it sends, if any.
pub fn send_request(s: &OutboundSend, data: &Option<Vec<u8>>) -> SendRequest {
    let mimetype = s.content.mimetype();
    let body = match &s.content {
        OutboundContent::Text {
            text,
            mentions,
            link_preview,
        } => SendBody::Text {
            text: text.clone(),
            link_preview: *link_preview,
            mentions: mentions.iter().map(|m| mention_id(m)).collect(),
        },
        OutboundContent::Image { media, caption } => SendBody::Image {
            file: mime_file(media, mimetype, data),
            caption: caption.clone(),
        },
        OutboundContent::File { media, caption } => SendBody::File {
            file: mime_file(media, mimetype, data),
            caption: caption.clone(),
        },
        OutboundContent::Video { media, caption } => SendBody::Video {
            file: mime_file(media, mimetype, data),
            caption: caption.clone(),
        },
        OutboundContent::Voice { media } => SendBody::Voice {
            file: mime_file(media, mimetype, data),
        },
        OutboundContent::Location {
            latitude,
            longitude,
            title,
        } => SendBody::Location {
            latitude: *latitude,
            longitude: *longitude,
            title: title.clone(),
        },
        OutboundContent::ContactCard { contacts } => SendBody::ContactCards {
            contacts: contacts
                .iter()
                .map(|c| match c {
                    CardIn::Fields { full_name, phone } => ContactCard::Fields {
                        full_name: full_name.clone(),
                        phone: phone.chars().filter(char::is_ascii_digit).collect(),
                    },
                    CardIn::Vcard { vcard } => ContactCard::Vcard {
                        vcard: vcard.clone(),
                    },
                })
                .collect(),
        },
        OutboundContent::Poll {
            name,
            options,
            multiple_answers,
        } => SendBody::Poll {
            name: name.clone(),
            options: options.clone(),
            multiple_answers: *multiple_answers,
        },
    };
    SendRequest {
        chat_id: s.wa_chat_id.clone(),
        body,
        reply_to: s.reply_to.clone(),
        reserved_id: s.reserved_id.clone(),
    }
}

/// How long "typing…" shows before a message of this content leaves.
fn typing_for(c: &OutboundContent) -> Duration {
    let chars = c.body().map(|b| b.chars().count()).unwrap_or(0);
    let ms = i64::try_from(chars)
        .unwrap_or(i64::MAX)
        .saturating_mul(TYPING_MS_PER_CHAR)
        .clamp(TYPING_MIN_MS, TYPING_MAX_MS);
    Duration::milliseconds(ms)
}

/// The serialized WhatsApp id a send has or will have, when it is known.
fn known_id(v: &SendView) -> Option<String> {
    if !v.provider_id.starts_with("pending:") && !v.provider_id.is_empty() {
        return Some(v.provider_id.clone());
    }
    v.send
        .reserved_id
        .as_ref()
        .map(|r| format!("true_{}_{r}", v.send.wa_chat_id))
}

/// A WhatsApp timestamp (seconds), or `now`.
fn at_or(ts: Option<i64>, now: DateTime<Utc>) -> DateTime<Utc> {
    ts.and_then(|t| DateTime::from_timestamp(t, 0))
        .filter(|t| *t <= now)
        .unwrap_or(now)
}

fn refused(e: &GatewayError) -> Option<Step> {
    match e {
        GatewayError::Refused { message, .. } => Some(Step::Failed {
            code: "refused".into(),
            message: message.clone(),
        }),
        _ => None,
    }
}

pub struct SendHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub gateway: Arc<dyn MessageGateway>,
    pub media: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
}

struct Run<'a, S: ?Sized> {
    h: &'a SendHandler<S>,
    job: &'a Job,
    ctx: EventContext,
    now: DateTime<Utc>,
}

impl<S: IngestStore + ChannelStore + ?Sized> Run<'_, S> {
    async fn record(&self, wc: &WebhookChannel, s: &OutboundSend, step: Step) -> AppResult<()> {
        record(&*self.h.store, self.now, wc, s.message_id, step, &self.ctx).await?;
        Ok(())
    }

    fn retry(&self, e: &GatewayError) -> JobFinish {
        JobFinish::Retry {
            at: self.now + retry_delay(self.job.attempts),
            error: e.to_string(),
        }
    }

    /// The last attempt the job engine allows: give up instead of dying with the send
    /// stuck.
    fn last_attempt(&self) -> bool {
        self.job.attempts >= self.job.max_attempts
    }

    async fn give_up(
        &self,
        wc: &WebhookChannel,
        s: &OutboundSend,
        e: &GatewayError,
    ) -> AppResult<JobFinish> {
        self.record(
            wc,
            s,
            Step::Failed {
                code: "unreachable".into(),
                message: format!(
                    "WAHA could not be reached after {} tries: {e}",
                    self.job.attempts
                ),
            },
        )
        .await?;
        Ok(JobFinish::Done)
    }

    /// A call whose outcome is unknown happened before: find out whether WhatsApp has the
    /// message. `Some(finish)` when this run is over; `None` when it is safe to send.
    async fn settle_unknown(
        &self,
        c: &Channel,
        wc: &WebhookChannel,
        t: &GatewayTarget,
        v: &SendView,
    ) -> AppResult<Option<JobFinish>> {
        let s = &v.send;
        let Some(id) = known_id(v) else {
            // Nothing to look up by: the echo is the only witness. Wait for it until the
            // confirm timeout, then give up rather than send a second copy.
            let deadline = s.updated_at + Duration::seconds(c.confirm_timeout_seconds);
            if self.now < deadline {
                return Ok(Some(JobFinish::RunAt(deadline)));
            }
            self.record(
                wc,
                s,
                Step::Failed {
                    code: "unconfirmed".into(),
                    message: "WAHA's answer was lost and no echo came; not sent again, so it may or may not have reached WhatsApp".into(),
                },
            )
            .await?;
            return Ok(Some(JobFinish::Done));
        };
        match self
            .h
            .gateway
            .get_message(t, &s.wa_chat_id, &id, false)
            .await
        {
            Ok(Some(m)) => {
                let at = at_or(m.timestamp, self.now);
                self.record(wc, s, Step::Confirmed { at }).await?;
                Ok(Some(JobFinish::Done))
            }
            Ok(None) => {
                self.record(wc, s, Step::NotSent).await?;
                Ok(None)
            }
            Err(e) if self.last_attempt() => self.give_up(wc, s, &e).await.map(Some),
            Err(e) => Ok(Some(self.retry(&e))),
        }
    }

    async fn run(&self, j: SendJob) -> AppResult<JobFinish> {
        let scope = self.job.scope();
        let window = self.now - Duration::seconds(PACING_WINDOW_SECONDS);
        let Some(v) = send_view(&*self.h.store, scope, j.message_id, window).await? else {
            return Ok(JobFinish::Done);
        };
        let s = &v.send;
        if !matches!(s.state, SendState::Queued | SendState::Sending) {
            // Sent (its confirm job follows), confirmed or failed.
            return Ok(JobFinish::Done);
        }
        let Some(c) = self.h.store.get_channel(scope, s.channel_id).await? else {
            let step = Step::Failed {
                code: "channel_deleted".into(),
                message: "the channel was deleted before the message left".into(),
            };
            self.record(&orphan_channel(s), s, step).await?;
            return Ok(JobFinish::Done);
        };
        let wait = Ok(JobFinish::RunAt(
            self.now + Duration::seconds(CHANNEL_WAIT_SECONDS),
        ));
        if !c.is_active() || c.status != "WORKING" {
            // Deactivated, or its session is not working: wait until it is back.
            return wait;
        }
        let wc = webhook_channel(&c);
        let t = target(&c);
        if s.state == SendState::Sending
            && s.outcome_unknown
            && let Some(done) = self.settle_unknown(&c, &wc, &t, &v).await?
        {
            return Ok(done);
        }
        if v.earlier_unsent {
            return Ok(JobFinish::RunAt(
                self.now + Duration::seconds(TURN_WAIT_SECONDS),
            ));
        }
        let (sent, first) = v.sent_in_window;
        if sent >= c.max_messages_per_minute {
            let at = first.unwrap_or(self.now) + Duration::seconds(PACING_WINDOW_SECONDS);
            return Ok(JobFinish::RunAt(at.max(self.now)));
        }
        if c.human_pacing && s.attempts == 0 {
            match s.typing_until {
                None => {
                    // Best effort: a failed "seen" or "typing" never holds the message back.
                    let _ = self.h.gateway.send_seen(&t, &s.wa_chat_id, &[]).await;
                    let _ = self
                        .h
                        .gateway
                        .set_presence(&t, &s.wa_chat_id, crate::ports::Presence::Typing)
                        .await;
                    let until = self.now + typing_for(&s.content);
                    self.record(&wc, s, Step::Typing { until }).await?;
                    return Ok(JobFinish::RunAt(until));
                }
                Some(until) if until > self.now => return Ok(JobFinish::RunAt(until)),
                Some(_) => {}
            }
        }
        self.call(&c, &wc, &t, s).await
    }

    /// Reserves the id (where the engine can), marks the send as possibly sent, calls.
    async fn call(
        &self,
        c: &Channel,
        wc: &WebhookChannel,
        t: &GatewayTarget,
        s: &OutboundSend,
    ) -> AppResult<JobFinish> {
        let reserved = match &s.reserved_id {
            Some(r) => Some(r.clone()),
            None => match self.h.gateway.new_message_id(t).await {
                Ok(r) => r,
                Err(e) => {
                    if let Some(step) = refused(&e) {
                        self.record(wc, s, step).await?;
                        return Ok(JobFinish::Done);
                    }
                    if self.last_attempt() {
                        return self.give_up(wc, s, &e).await;
                    }
                    return Ok(self.retry(&e));
                }
            },
        };
        self.record(
            wc,
            s,
            Step::Calling {
                reserved: reserved.clone(),
            },
        )
        .await?;
        let data = match s.content.media().and_then(|m| m.media_id) {
            None => None,
            Some(file) => match self
                .h
                .media
                .get(&media_key(s.tenant_id, file.0), None)
                .await?
            {
                Some(b) => Some(b.bytes),
                None => {
                    let step = Step::Failed {
                        code: "media_missing".into(),
                        message: format!(
                            "the uploaded file {file} is no longer in the media store"
                        ),
                    };
                    self.record(wc, s, step).await?;
                    return Ok(JobFinish::Done);
                }
            },
        };
        let mut req = send_request(s, &data);
        req.reserved_id = reserved;
        match self.h.gateway.send(t, &req).await {
            Ok(provider_id) => {
                let confirm_by = self.now + Duration::seconds(c.confirm_timeout_seconds);
                self.record(
                    wc,
                    s,
                    Step::Accepted {
                        provider_id,
                        confirm_by,
                    },
                )
                .await?;
                Ok(JobFinish::Done)
            }
            Err(e) => {
                if let Some(step) = refused(&e) {
                    self.record(wc, s, step).await?;
                    return Ok(JobFinish::Done);
                }
                let step = if e.outcome_unknown() {
                    Step::Unknown
                } else {
                    Step::NotSent
                };
                self.record(wc, s, step).await?;
                if self.last_attempt() {
                    // Unknown outcome: one more run settles it by asking WAHA first.
                    if e.outcome_unknown() {
                        return Ok(JobFinish::RunAt(self.now + retry_delay(self.job.attempts)));
                    }
                    return self.give_up(wc, s, &e).await;
                }
                Ok(self.retry(&e))
            }
        }
    }

    /// No echo or ack confirmed a sent message in time: ask WAHA.
    async fn confirm(&self, j: SendJob) -> AppResult<JobFinish> {
        let scope = self.job.scope();
        let Some(v) = send_view(&*self.h.store, scope, j.message_id, self.now).await? else {
            return Ok(JobFinish::Done);
        };
        let s = &v.send;
        if s.state != SendState::Sent {
            return Ok(JobFinish::Done);
        }
        let Some(c) = self.h.store.get_channel(scope, s.channel_id).await? else {
            let step = Step::Failed {
                code: "unconfirmed".into(),
                message: "never confirmed, and the channel was deleted before WAHA could be asked"
                    .into(),
            };
            self.record(&orphan_channel(s), s, step).await?;
            return Ok(JobFinish::Done);
        };
        let wc = webhook_channel(&c);
        let unconfirmed = Step::Failed {
            code: "unconfirmed".into(),
            message: format!(
                "no echo or ack within {} s, and WAHA does not have the message",
                c.confirm_timeout_seconds
            ),
        };
        let Some(id) = known_id(&v) else {
            self.record(&wc, s, unconfirmed).await?;
            return Ok(JobFinish::Done);
        };
        match self
            .h
            .gateway
            .get_message(&target(&c), &s.wa_chat_id, &id, false)
            .await
        {
            Ok(Some(m)) => {
                let at = at_or(m.timestamp, self.now);
                self.record(&wc, s, Step::Confirmed { at }).await?;
            }
            Ok(None) => self.record(&wc, s, unconfirmed).await?,
            Err(e) if self.last_attempt() => {
                let step = Step::Failed {
                    code: "unconfirmed".into(),
                    message: format!("never confirmed, and WAHA could not be asked: {e}"),
                };
                self.record(&wc, s, step).await?;
            }
            Err(e) => return Ok(self.retry(&e)),
        }
        Ok(JobFinish::Done)
    }
}

#[async_trait]
impl<S: IngestStore + ChannelStore + ?Sized + 'static> JobHandler for SendHandler<S> {
    fn kind(&self) -> &'static str {
        SEND_JOB
    }

    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let j: SendJob = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        Run {
            h: self,
            job,
            ctx: saga_ctx(job),
            now: self.clock.now(),
        }
        .run(j)
        .await
    }
}

/// `message.confirm`: the same saga, its last step.
pub struct ConfirmHandler<S: ?Sized>(pub Arc<SendHandler<S>>);

#[async_trait]
impl<S: IngestStore + ChannelStore + ?Sized + 'static> JobHandler for ConfirmHandler<S> {
    fn kind(&self) -> &'static str {
        CONFIRM_JOB
    }

    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let j: SendJob = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        Run {
            h: &*self.0,
            job,
            ctx: saga_ctx(job),
            now: self.0.clock.now(),
        }
        .confirm(j)
        .await
    }
}
