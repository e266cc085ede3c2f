//! What a WhatsApp gateway tells us, in Ventros' own terms. The WAHA adapter decodes raw
//! webhook bodies into these types; use cases never see WAHA JSON.

use chrono::{DateTime, Utc};
use ventros_domain::message::{ContentType, DeliveryStatus, Media};
use ventros_domain::wa_id::{Jid, WaMessageKey};

/// One decoded webhook delivery.
#[derive(Debug, Clone)]
pub struct InboundDelivery {
    /// Envelope `id`, or a hash of the body for old gateways that send none.
    pub dedupe_key: String,
    /// The gateway's event name (`message`, `message.ack`, …).
    pub event_name: String,
    /// When the gateway created the event, if it said.
    pub occurred_at: Option<DateTime<Utc>>,
    pub event: InboundEvent,
    /// The body as JSON, kept in the delivery log.
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone)]
pub enum InboundEvent {
    Message(Box<InboundMessage>),
    Ack {
        key: WaMessageKey,
        from_me: bool,
        status: DeliveryStatus,
    },
    Revoked {
        chat: Option<Jid>,
        raw_id: String,
    },
    Edited {
        chat: Option<Jid>,
        raw_id: String,
        body: Option<String>,
        at: Option<DateTime<Utc>>,
    },
    Reaction {
        target: WaMessageKey,
        reactor: Option<Jid>,
        from_me: bool,
        text: String,
        at: Option<DateTime<Utc>>,
    },
    SessionStatus {
        status: String,
    },
    Presence {
        chat: Jid,
        presences: serde_json::Value,
    },
    Group(GroupChange),
    Call {
        call_event: String,
        call_id: String,
        from: Option<Jid>,
        is_video: bool,
        is_group: bool,
        at: Option<DateTime<Utc>>,
    },
    PollVote {
        poll: WaMessageKey,
        voter: Option<Jid>,
        selected: Vec<String>,
        failed: bool,
        at: Option<DateTime<Utc>>,
    },
    /// Understood as JSON but not something Ventros acts on (yet), or missing what it needs.
    Unhandled {
        reason: String,
    },
    /// Carries a value no real event has (a time outside the plausible window, a malformed
    /// id): kept in the delivery log as `rejected`, never applied.
    Invalid {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub key: WaMessageKey,
    pub from_me: bool,
    /// `fromMe` and sent through the gateway's API rather than the phone app.
    pub via_api: bool,
    pub at: Option<DateTime<Utc>>,
    /// The sender of a group or status message.
    pub participant: Option<Jid>,
    pub push_name: Option<String>,
    pub body: Option<String>,
    pub content_type: ContentType,
    pub media: Option<Media>,
    pub location: Option<serde_json::Value>,
    pub vcards: Vec<String>,
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone)]
pub struct GroupChange {
    pub group: Jid,
    /// `join` (we joined), `leave` (we left), `update`, or a participants change:
    /// `participants.join|leave|promote|demote`.
    pub change: String,
    pub subject: Option<String>,
    pub participants: Vec<(String, String)>,
    pub at: Option<DateTime<Utc>>,
}
