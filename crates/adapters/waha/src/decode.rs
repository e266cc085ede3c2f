//! Raw WAHA webhook body → `InboundDelivery`.

use crate::hmac_verify::verify_hex;
use crate::payloads::{self as p, Envelope, WaMessage};
use chrono::{DateTime, TimeZone, Utc};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};
use ventros_app::gateway::{GroupChange, InboundDelivery, InboundEvent, InboundMessage};
use ventros_app::ports::{DecodeError, WebhookDecoder};
use ventros_domain::message::{ContentHints, ContentType, DeliveryStatus, Media};
use ventros_domain::wa_id::{Jid, WaMessageKey};

#[derive(Debug, Default, Clone, Copy)]
pub struct WahaDecoder;

impl WebhookDecoder for WahaDecoder {
    fn gateway(&self) -> &'static str {
        "waha"
    }

    fn verify(&self, key: &str, body: &[u8], signature: Option<&str>) -> bool {
        verify_hex(key, body, signature)
    }

    fn decode(&self, body: &[u8]) -> Result<InboundDelivery, DecodeError> {
        let mut raw: Value = serde_json::from_slice(body)
            .map_err(|e| DecodeError::Malformed(format!("invalid JSON: {e}")))?;
        strip_nul(&mut raw);
        let env: Envelope = serde_json::from_value(raw.clone())
            .map_err(|e| DecodeError::Malformed(format!("not a WAHA webhook envelope: {e}")))?;
        let dedupe_key = match env.id.as_deref().filter(|s| !s.is_empty()) {
            Some(id) => id.to_string(),
            None => format!("sha256:{}", hex::encode(Sha256::digest(body))),
        };
        // Some captured deliveries lack `event`; an ack is still recognisable by its fields.
        let event_name = env.event.filter(|e| !e.is_empty()).unwrap_or_else(|| {
            let is_ack = env.payload.get("ack").is_some() && env.payload.get("id").is_some();
            if is_ack {
                "message.ack".into()
            } else {
                String::new()
            }
        });
        let (event, occurred_at) = match ms_to_time(env.timestamp) {
            Ok(at) => (decode_event(&event_name, env.payload), at),
            Err(r) => (r.into(), None),
        };
        Ok(InboundDelivery {
            dedupe_key,
            event_name,
            occurred_at,
            event,
            raw,
        })
    }
}

/// Removes the NUL character from every string and key: no WhatsApp text has it, and
/// PostgreSQL can store it neither in text nor in JSON, so the delivery is kept without it.
fn strip_nul(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\0') => s.retain(|c| c != '\0'),
        Value::Array(a) => a.iter_mut().for_each(strip_nul),
        Value::Object(o) => {
            if o.keys().any(|k| k.contains('\0')) {
                let entries = std::mem::take(o);
                o.extend(entries.into_iter().map(|(k, v)| (k.replace('\0', ""), v)));
            }
            o.values_mut().for_each(strip_nul);
        }
        _ => {}
    }
}

/// Why a payload is not turned into a change.
enum Refusal {
    /// Not something Ventros acts on, or without what it would need (`ignored`).
    NotActedOn(String),
    /// A value no real WhatsApp event has: a time outside the plausible window, an id that
    /// is not one (`rejected`).
    Invalid(String),
}

impl From<Refusal> for InboundEvent {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::NotActedOn(reason) => InboundEvent::Unhandled { reason },
            Refusal::Invalid(reason) => InboundEvent::Invalid { reason },
        }
    }
}

fn unhandled(reason: impl Into<String>) -> Refusal {
    Refusal::NotActedOn(reason.into())
}

fn parse<T: DeserializeOwned>(payload: Value) -> Result<T, Refusal> {
    serde_json::from_value(payload).map_err(|e| unhandled(format!("payload not understood: {e}")))
}

fn decode_event(name: &str, payload: Value) -> InboundEvent {
    let r = match name {
        "message" | "message.any" => message(payload),
        "message.ack" | "message.ack.group" => ack(payload),
        "message.revoked" => revoked(payload),
        "message.edited" => edited(payload),
        "message.reaction" => reaction(payload),
        "session.status" => parse::<p::SessionStatus>(payload).and_then(|s| {
            s.status
                .map(|status| InboundEvent::SessionStatus { status })
                .ok_or_else(|| unhandled("no status"))
        }),
        "presence.update" => parse::<p::Presence>(payload).and_then(|pr| {
            let chat =
                jid(pr.id.as_deref()).ok_or_else(|| unhandled("presence without a chat id"))?;
            Ok(InboundEvent::Presence {
                chat,
                presences: pr.presences,
            })
        }),
        "group.v2.join" | "group.v2.leave" | "group.v2.update" | "group.v2.participants" => {
            group(name, payload)
        }
        "call.received" | "call.accepted" | "call.rejected" => call(name, payload),
        "poll.vote" | "poll.vote.failed" => poll_vote(name == "poll.vote.failed", payload),
        "" => Err(unhandled("envelope without an event name")),
        other => Err(unhandled(format!("event {other:?} is not acted on"))),
    };
    r.unwrap_or_else(InboundEvent::from)
}

fn jid(s: Option<&str>) -> Option<Jid> {
    s.and_then(|s| Jid::parse(s).ok())
}

/// Times Ventros accepts from WAHA are after 1970-01-01 and before 2100-01-01 (Unix
/// milliseconds below). Anything later is no real event's time, and arithmetic on it
/// (timeouts, windows) could leave what dates can hold. (WAHA's own documentation examples
/// carry times from the 1990s, so the window starts at the epoch.)
const LATEST_MS: i64 = 4_102_444_800_000;

/// A time in seconds (the documented unit); values that can only be milliseconds (past
/// the year 5138 as seconds) are read as milliseconds, as some engines send them.
fn secs_to_time(s: Option<f64>) -> Result<Option<DateTime<Utc>>, Refusal> {
    ms_to_time(s.map(|s| if s > 100_000_000_000.0 { s } else { s * 1000.0 }))
}

/// Absent or 0 means unknown (the receipt time is used); anything outside the window is
/// refused.
fn ms_to_time(ms: Option<f64>) -> Result<Option<DateTime<Utc>>, Refusal> {
    let Some(ms) = ms.filter(|ms| *ms != 0.0) else {
        return Ok(None);
    };
    if !ms.is_finite() || ms < 0.0 || ms >= LATEST_MS as f64 {
        return Err(Refusal::Invalid(format!(
            "timestamp {ms} is outside 1970-01-01..2100-01-01"
        )));
    }
    // In range, so the conversion is exact to the millisecond and cannot fail.
    Ok(Utc.timestamp_millis_opt(ms as i64).single())
}

fn key(id: Option<&str>) -> Result<WaMessageKey, Refusal> {
    let id = id.ok_or_else(|| unhandled("message without an id"))?;
    WaMessageKey::parse(id).map_err(|e| Refusal::Invalid(e.to_string()))
}

/// The engine's own name for the message type, from `_data`.
fn raw_type(data: Option<&Value>) -> Option<String> {
    let data = data?;
    if let Some(t) = data.get("type").and_then(Value::as_str) {
        return Some(t.to_string());
    }
    let msg = data
        .get("message")
        .or_else(|| data.get("Message"))?
        .as_object()?;
    let (k, v) = msg.iter().find(|(k, _)| {
        !matches!(
            k.as_str(),
            "messageContextInfo" | "senderKeyDistributionMessage"
        )
    })?;
    if k == "audioMessage" && v.get("ptt").and_then(Value::as_bool) == Some(true) {
        return Some("ptt".into());
    }
    Some(k.clone())
}

fn push_name(data: Option<&Value>) -> Option<String> {
    let d = data?;
    [
        d.get("notifyName"),
        d.get("pushName"),
        d.get("Info").and_then(|i| i.get("PushName")),
    ]
    .into_iter()
    .flatten()
    .filter_map(Value::as_str)
    .map(str::trim)
    .find(|s| !s.is_empty())
    .map(String::from)
}

fn message(payload: Value) -> Result<InboundEvent, Refusal> {
    let m: WaMessage = parse(payload)?;
    let k = key(m.id.as_deref())?;
    let from_me = k.from_me.or(m.from_me).unwrap_or(false);
    let vcards: Vec<String> = m
        .v_cards
        .unwrap_or_default()
        .into_iter()
        .filter(|v| !v.is_empty())
        .collect();
    let location = m.location.filter(|l| !l.is_null());
    let rt = raw_type(m.data.as_ref());
    let content_type = ContentType::classify(&ContentHints {
        has_location: location.is_some(),
        has_vcards: !vcards.is_empty(),
        has_media: m.has_media.unwrap_or(false) || m.media.is_some(),
        mimetype: m.media.as_ref().and_then(|md| md.mimetype.as_deref()),
        raw_type: rt.as_deref(),
    });
    let media = m.media.map(|md| Media {
        url: md.url,
        mimetype: md.mimetype,
        filename: md.filename,
        error: md.error.filter(|e| !e.is_null()).map(|e| e.to_string()),
        file_id: None,
    });
    Ok(InboundEvent::Message(Box::new(InboundMessage {
        participant: jid(m.participant.as_deref()).or_else(|| k.participant.clone()),
        from_me,
        via_api: from_me && m.source.as_deref() == Some("api"),
        at: secs_to_time(m.timestamp)?,
        push_name: push_name(m.data.as_ref()),
        body: m.body.filter(|b| !b.is_empty()),
        content_type,
        media,
        location,
        vcards,
        reply_to: m.reply_to.and_then(|r| r.id).filter(|s| !s.is_empty()),
        key: k,
    })))
}

fn ack(payload: Value) -> Result<InboundEvent, Refusal> {
    let a: p::Ack = parse(payload)?;
    let k = key(a.id.as_deref())?;
    let status = a
        .ack
        .and_then(DeliveryStatus::from_ack)
        .ok_or_else(|| unhandled("ack without a known ack value"))?;
    Ok(InboundEvent::Ack {
        from_me: a.from_me.unwrap_or(false),
        key: k,
        status,
    })
}

fn revoked(payload: Value) -> Result<InboundEvent, Refusal> {
    let r: p::Revoked = parse(payload)?;
    let after_key = r
        .after
        .as_ref()
        .or(r.before.as_ref())
        .and_then(|m| m.id.as_deref())
        .and_then(|id| WaMessageKey::parse(id).ok());
    let raw_id = r
        .revoked_message_id
        .filter(|s| !s.is_empty())
        .or_else(|| after_key.as_ref().map(|k| k.raw_id.clone()))
        .ok_or_else(|| unhandled("revoke without the revoked message id"))?;
    Ok(InboundEvent::Revoked {
        chat: after_key.map(|k| k.chat),
        raw_id,
    })
}

fn edited(payload: Value) -> Result<InboundEvent, Refusal> {
    let m: WaMessage = parse(payload)?;
    let raw_id = m
        .edited_message_id
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| unhandled("edit without editedMessageId"))?;
    Ok(InboundEvent::Edited {
        chat: m
            .id
            .as_deref()
            .and_then(|id| WaMessageKey::parse(id).ok())
            .map(|k| k.chat),
        raw_id,
        body: m.body,
        at: secs_to_time(m.timestamp)?,
    })
}

fn reaction(payload: Value) -> Result<InboundEvent, Refusal> {
    let r: p::Reaction = parse(payload)?;
    let body = r
        .reaction
        .ok_or_else(|| unhandled("reaction without a body"))?;
    let target = key(body.message_id.as_deref())?;
    Ok(InboundEvent::Reaction {
        target,
        reactor: jid(r.participant.as_deref()).or_else(|| jid(r.from.as_deref())),
        from_me: r.from_me.unwrap_or(false),
        text: body.text.unwrap_or_default(),
        at: secs_to_time(r.timestamp)?,
    })
}

fn group(name: &str, payload: Value) -> Result<InboundEvent, Refusal> {
    let g: p::GroupEvent = parse(payload)?;
    let group = g
        .group
        .ok_or_else(|| unhandled("group event without a group"))?;
    let gid = jid(group.id.as_deref())
        .ok_or_else(|| unhandled("group event without a valid group id"))?;
    let change = match name {
        "group.v2.join" => "join".to_string(),
        "group.v2.leave" => "leave".to_string(),
        "group.v2.update" => "update".to_string(),
        _ => format!("participants.{}", g.change.as_deref().unwrap_or("update")),
    };
    let list = if g.participants.is_empty() {
        group.participants
    } else {
        g.participants
    };
    let participants = list
        .into_iter()
        .filter_map(|pp| {
            let id = jid(pp.id.as_deref())?;
            Some((
                id.to_string(),
                pp.role.unwrap_or_else(|| "participant".into()),
            ))
        })
        .collect();
    Ok(InboundEvent::Group(GroupChange {
        group: gid,
        change,
        subject: group.subject,
        participants,
        at: secs_to_time(g.timestamp)?,
    }))
}

fn call(name: &str, payload: Value) -> Result<InboundEvent, Refusal> {
    let c: p::Call = parse(payload)?;
    Ok(InboundEvent::Call {
        call_event: name.to_string(),
        call_id: c.id.unwrap_or_default(),
        from: jid(c.from.as_deref()),
        is_video: c.is_video.unwrap_or(false),
        is_group: c.is_group.unwrap_or(false),
        at: secs_to_time(c.timestamp)?,
    })
}

fn poll_vote(failed: bool, payload: Value) -> Result<InboundEvent, Refusal> {
    let v: p::PollVoteEvent = parse(payload)?;
    let poll = key(v.poll.and_then(|p| p.id).as_deref())?;
    let vote = v
        .vote
        .ok_or_else(|| unhandled("poll vote without a vote"))?;
    let voter = if vote.from_me == Some(true) {
        None
    } else {
        jid(vote.participant.as_deref()).or_else(|| jid(vote.from.as_deref()))
    };
    Ok(InboundEvent::PollVote {
        poll,
        voter,
        selected: vote.selected_options,
        failed,
        at: secs_to_time(vote.timestamp)?,
    })
}
