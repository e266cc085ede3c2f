//! What an agent, a bot or an integration sends through a channel, and the send saga's states
//! (`docs/MESSAGING.md`): queued → sending → sent → confirmed, or failed with a reason.

use crate::DomainError;
use crate::message::ContentType;
use crate::phone::Phone;
use serde::{Deserialize, Serialize};

/// The longest text WhatsApp takes in one message.
pub const MAX_TEXT: usize = 65_536;
pub const MAX_CAPTION: usize = 1_024;

/// A file to send: a URL WAHA downloads, or a file uploaded to Ventros (`POST /v1/media`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediaRef {
    /// An `http(s)` URL WAHA can download.
    pub url: Option<String>,
    /// A stored upload of this tenant (sent to WAHA as its bytes).
    pub media_id: Option<crate::ids::MediaFileId>,
    /// Default by kind: `image/jpeg`, `video/mp4`, `audio/ogg; codecs=opus`,
    /// `application/octet-stream`.
    pub mimetype: Option<String>,
    pub filename: Option<String>,
}

/// A contact card: name and phone, or a whole vCard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(untagged, deny_unknown_fields)]
pub enum CardIn {
    Fields { full_name: String, phone: String },
    Vcard { vcard: String },
}

/// What to send; `type` says which kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum OutboundContent {
    Text {
        text: String,
        /// WhatsApp ids (`…@c.us`) or phones mentioned; each must also be written `@number`
        /// in the text.
        #[serde(default)]
        mentions: Vec<String>,
        /// Show a preview of the first link (default true).
        #[serde(default = "yes")]
        link_preview: bool,
    },
    Image {
        media: MediaRef,
        caption: Option<String>,
    },
    File {
        media: MediaRef,
        caption: Option<String>,
    },
    Video {
        media: MediaRef,
        caption: Option<String>,
    },
    Voice {
        media: MediaRef,
    },
    Location {
        latitude: f64,
        longitude: f64,
        title: Option<String>,
    },
    ContactCard {
        contacts: Vec<CardIn>,
    },
    Poll {
        name: String,
        options: Vec<String>,
        #[serde(default)]
        multiple_answers: bool,
    },
}

fn yes() -> bool {
    true
}

fn text_field(field: &'static str, s: &str, max: usize) -> Result<(), DomainError> {
    if s.trim().is_empty() {
        return Err(DomainError::invalid(field, "must not be empty"));
    }
    if s.chars().count() > max {
        return Err(DomainError::invalid(
            field,
            format!("at most {max} characters"),
        ));
    }
    Ok(())
}

fn media(m: &MediaRef) -> Result<(), DomainError> {
    match (&m.url, m.media_id) {
        (Some(u), None) => {
            let u = u.trim();
            let ok = (u.starts_with("http://") || u.starts_with("https://"))
                && u.len() > "https://".len()
                && u.len() <= 2_048
                && !u.contains(char::is_whitespace);
            if !ok {
                return Err(DomainError::invalid(
                    "media.url",
                    "must be an http(s) URL of at most 2048 characters",
                ));
            }
        }
        (None, Some(_)) => {}
        _ => {
            return Err(DomainError::invalid("media", "give either url or media_id"));
        }
    }
    if let Some(t) = &m.mimetype
        && (t.len() > 100 || !t.contains('/'))
    {
        return Err(DomainError::invalid(
            "media.mimetype",
            "must be a MIME type",
        ));
    }
    if let Some(f) = &m.filename {
        text_field("media.filename", f, 255)?;
    }
    Ok(())
}

fn caption(c: &Option<String>) -> Result<(), DomainError> {
    match c {
        Some(c) => text_field("caption", c, MAX_CAPTION),
        None => Ok(()),
    }
}

impl OutboundContent {
    /// Checks every field; the error names the first bad one.
    pub fn validate(&self) -> Result<(), DomainError> {
        match self {
            OutboundContent::Text { text, mentions, .. } => {
                text_field("text", text, MAX_TEXT)?;
                if mentions.len() > 100 {
                    return Err(DomainError::invalid("mentions", "at most 100"));
                }
                for m in mentions {
                    let digits = m.split('@').next().unwrap_or_default();
                    if Phone::parse(digits).is_err() {
                        return Err(DomainError::invalid(
                            "mentions",
                            format!(
                                "{:?} is not a phone or …@c.us id",
                                m.chars().take(40).collect::<String>()
                            ),
                        ));
                    }
                }
                Ok(())
            }
            OutboundContent::Image {
                media: m,
                caption: c,
            }
            | OutboundContent::File {
                media: m,
                caption: c,
            }
            | OutboundContent::Video {
                media: m,
                caption: c,
            } => {
                media(m)?;
                caption(c)
            }
            OutboundContent::Voice { media: m } => media(m),
            OutboundContent::Location {
                latitude,
                longitude,
                title,
            } => {
                if !(-90.0..=90.0).contains(latitude) {
                    return Err(DomainError::invalid("latitude", "must be -90 to 90"));
                }
                if !(-180.0..=180.0).contains(longitude) {
                    return Err(DomainError::invalid("longitude", "must be -180 to 180"));
                }
                match title {
                    Some(t) => text_field("title", t, 255),
                    None => Ok(()),
                }
            }
            OutboundContent::ContactCard { contacts } => {
                if contacts.is_empty() || contacts.len() > 10 {
                    return Err(DomainError::invalid("contacts", "1 to 10 cards"));
                }
                for c in contacts {
                    match c {
                        CardIn::Fields { full_name, phone } => {
                            text_field("contacts.full_name", full_name, 255)?;
                            Phone::parse(phone).map_err(|_| {
                                DomainError::invalid("contacts.phone", "not a phone number")
                            })?;
                        }
                        CardIn::Vcard { vcard } => {
                            text_field("contacts.vcard", vcard, 10_000)?;
                            if !vcard
                                .trim_start()
                                .to_ascii_uppercase()
                                .starts_with("BEGIN:VCARD")
                            {
                                return Err(DomainError::invalid(
                                    "contacts.vcard",
                                    "must start with BEGIN:VCARD",
                                ));
                            }
                        }
                    }
                }
                Ok(())
            }
            OutboundContent::Poll { name, options, .. } => {
                text_field("name", name, 255)?;
                if !(2..=12).contains(&options.len()) {
                    return Err(DomainError::invalid("options", "2 to 12 options"));
                }
                for (i, o) in options.iter().enumerate() {
                    text_field("options", o, 100)?;
                    if options[..i].contains(o) {
                        return Err(DomainError::invalid("options", "must differ"));
                    }
                }
                Ok(())
            }
        }
    }

    pub fn content_type(&self) -> ContentType {
        match self {
            OutboundContent::Text { .. } => ContentType::Text,
            OutboundContent::Image { .. } => ContentType::Image,
            OutboundContent::File { .. } => ContentType::Document,
            OutboundContent::Video { .. } => ContentType::Video,
            OutboundContent::Voice { .. } => ContentType::Voice,
            OutboundContent::Location { .. } => ContentType::Location,
            OutboundContent::ContactCard { .. } => ContentType::ContactCard,
            OutboundContent::Poll { .. } => ContentType::Poll,
        }
    }

    /// The text the message shows: the text, the caption or the poll's question.
    pub fn body(&self) -> Option<String> {
        match self {
            OutboundContent::Text { text, .. } => Some(text.clone()),
            OutboundContent::Image { caption, .. }
            | OutboundContent::File { caption, .. }
            | OutboundContent::Video { caption, .. } => caption.clone(),
            OutboundContent::Poll { name, .. } => Some(name.clone()),
            OutboundContent::Voice { .. }
            | OutboundContent::Location { .. }
            | OutboundContent::ContactCard { .. } => None,
        }
    }

    /// The file, when the message carries one.
    pub fn media(&self) -> Option<&MediaRef> {
        match self {
            OutboundContent::Image { media, .. }
            | OutboundContent::File { media, .. }
            | OutboundContent::Video { media, .. }
            | OutboundContent::Voice { media } => Some(media),
            _ => None,
        }
    }

    pub fn media_mut(&mut self) -> Option<&mut MediaRef> {
        match self {
            OutboundContent::Image { media, .. }
            | OutboundContent::File { media, .. }
            | OutboundContent::Video { media, .. }
            | OutboundContent::Voice { media } => Some(media),
            _ => None,
        }
    }

    /// The MIME type to send the file as.
    pub fn mimetype(&self) -> Option<String> {
        let m = self.media()?;
        Some(m.mimetype.clone().unwrap_or_else(|| {
            match self {
                OutboundContent::Image { .. } => "image/jpeg",
                OutboundContent::Video { .. } => "video/mp4",
                OutboundContent::Voice { .. } => "audio/ogg; codecs=opus",
                _ => "application/octet-stream",
            }
            .to_string()
        }))
    }
}

/// Where a send stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SendState {
    /// Waiting its turn (pacing, order in its chat, an inactive channel).
    Queued,
    /// Handed to WAHA (or about to be, with its id reserved); the answer is not in yet, or
    /// was lost.
    Sending,
    /// WAHA accepted it.
    Sent,
    /// WhatsApp has it: the webhook echo or an ack arrived, or WAHA was asked and has it.
    Confirmed,
    Failed,
}

impl SendState {
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Queued => "queued",
            SendState::Sending => "sending",
            SendState::Sent => "sent",
            SendState::Confirmed => "confirmed",
            SendState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Result<SendState, DomainError> {
        [
            SendState::Queued,
            SendState::Sending,
            SendState::Sent,
            SendState::Confirmed,
            SendState::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
        .ok_or_else(|| DomainError::invalid("state", format!("unknown send state {s:?}")))
    }

    /// Done: nothing more will happen to it.
    pub fn is_final(self) -> bool {
        matches!(self, SendState::Confirmed | SendState::Failed)
    }
}

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SendFailure {
    /// `refused` (WAHA said no; `message` has its reason), `unconfirmed` (never confirmed
    /// within the channel's confirm timeout), `unreachable` (WAHA could not be reached for
    /// too long), `channel_deleted`.
    pub code: String,
    pub message: String,
    /// Send attempts made.
    pub attempts: i32,
}

/// The send saga's row: what to send where, and how far it got.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundSend {
    pub message_id: crate::ids::MessageId,
    pub tenant_id: crate::ids::TenantId,
    pub project_id: crate::ids::ProjectId,
    pub channel_id: crate::ids::ChannelId,
    pub chat_id: crate::ids::ChatId,
    /// The WhatsApp chat id sent to.
    pub wa_chat_id: String,
    pub state: SendState,
    pub content: OutboundContent,
    /// The serialized WhatsApp id of the message replied to.
    pub reply_to: Option<String>,
    /// The raw id reserved before sending (engines that can), so the message can be looked
    /// up in WAHA whatever became of the send call.
    pub reserved_id: Option<String>,
    /// Send calls made.
    pub attempts: i32,
    /// A send call's outcome is unknown (a timeout, a reset, a 5xx): never send again without
    /// finding out.
    pub outcome_unknown: bool,
    /// With human-like pacing: "typing…" was shown, and the message leaves at this time.
    pub typing_until: Option<chrono::DateTime<chrono::Utc>>,
    pub queued_at: chrono::DateTime<chrono::Utc>,
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

impl OutboundSend {
    pub fn scope(&self) -> crate::tenancy::Scope {
        crate::tenancy::Scope {
            tenant_id: self.tenant_id,
            project_id: self.project_id,
        }
    }
}

/// The placeholder raw id of a message Ventros is sending, until WhatsApp's id is known.
pub fn pending_raw_id(message: crate::ids::MessageId) -> String {
    format!("pending:{message}")
}

/// Job kinds of the send saga.
pub const SEND_JOB: &str = "message.send";
pub const CONFIRM_JOB: &str = "message.confirm";

/// What the saga's jobs carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendJob {
    pub message_id: crate::ids::MessageId,
}

impl SendJob {
    pub fn send(
        s: &OutboundSend,
        at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::job::Job {
        Self::job(SEND_JOB, s, at, now)
    }

    pub fn confirm(
        s: &OutboundSend,
        at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::job::Job {
        Self::job(CONFIRM_JOB, s, at, now)
    }

    fn job(
        kind: &str,
        s: &OutboundSend,
        at: chrono::DateTime<chrono::Utc>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> crate::job::Job {
        crate::job::Job::pending(
            s.scope(),
            kind,
            format!("{kind}:{}", s.message_id),
            serde_json::json!(SendJob {
                message_id: s.message_id
            }),
            at,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Result<OutboundContent, String> {
        serde_json::from_value::<OutboundContent>(v).map_err(|e| e.to_string())
    }

    #[test]
    fn each_kind_parses_from_its_json_and_unknown_fields_are_refused() {
        assert_eq!(
            parse(json!({"type": "text", "text": "hi"})),
            Ok(OutboundContent::Text {
                text: "hi".into(),
                mentions: vec![],
                link_preview: true
            })
        );
        assert!(parse(json!({"type": "text", "text": "hi", "colour": "red"})).is_err());
        assert!(parse(json!({"type": "sticker"})).is_err());
        let img = parse(
            json!({"type": "image", "media": {"url": "https://x.example/a.jpg"}, "caption": "look"}),
        );
        assert_eq!(
            img.as_ref().map(OutboundContent::content_type),
            Ok(ContentType::Image)
        );
        assert_eq!(
            img.as_ref()
                .ok()
                .and_then(OutboundContent::mimetype)
                .as_deref(),
            Some("image/jpeg")
        );
        let card = parse(
            json!({"type": "contact_card", "contacts": [{"full_name": "Ana", "phone": "+55 11 91234-5678"}, {"vcard": "BEGIN:VCARD\nEND:VCARD"}]}),
        );
        assert!(card.is_ok_and(|c| c.validate().is_ok()));
        let poll = parse(json!({"type": "poll", "name": "When?", "options": ["Mon", "Tue"]}));
        assert!(poll.is_ok_and(|p| p.validate().is_ok()));
    }

    #[test]
    fn validation_names_the_bad_field() {
        let field = |c: OutboundContent| match c.validate() {
            Err(DomainError::Invalid { field, .. }) => field,
            Ok(()) => "",
        };
        let text = |t: &str| OutboundContent::Text {
            text: t.into(),
            mentions: vec![],
            link_preview: true,
        };
        assert_eq!(field(text("  ")), "text");
        assert_eq!(field(text(&"x".repeat(MAX_TEXT + 1))), "text");
        assert_eq!(field(text("ok")), "");
        let url = |u: &str| OutboundContent::Voice {
            media: MediaRef {
                url: Some(u.into()),
                media_id: None,
                mimetype: None,
                filename: None,
            },
        };
        assert_eq!(field(url("ftp://x/a.ogg")), "media.url");
        let neither = OutboundContent::Voice {
            media: MediaRef {
                url: None,
                media_id: None,
                mimetype: None,
                filename: None,
            },
        };
        assert_eq!(field(neither), "media");
        assert_eq!(field(url("https://x.example/a.ogg")), "");
        assert_eq!(
            field(OutboundContent::Location {
                latitude: 91.0,
                longitude: 0.0,
                title: None
            }),
            "latitude"
        );
        assert_eq!(
            field(OutboundContent::Poll {
                name: "q".into(),
                options: vec!["a".into()],
                multiple_answers: false
            }),
            "options"
        );
        assert_eq!(
            field(OutboundContent::Poll {
                name: "q".into(),
                options: vec!["a".into(), "a".into()],
                multiple_answers: false
            }),
            "options"
        );
        assert_eq!(
            field(OutboundContent::ContactCard {
                contacts: vec![CardIn::Vcard {
                    vcard: "hello".into()
                }]
            }),
            "contacts.vcard"
        );
    }

    #[test]
    fn states_round_trip() {
        for s in [
            SendState::Queued,
            SendState::Sending,
            SendState::Sent,
            SendState::Confirmed,
            SendState::Failed,
        ] {
            assert_eq!(SendState::parse(s.as_str()), Ok(s));
        }
        assert!(SendState::Confirmed.is_final() && !SendState::Sent.is_final());
    }
}
