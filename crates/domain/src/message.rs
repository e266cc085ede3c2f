//! Messages: direction, who sent them, what they carry and how far they got.

use crate::DomainError;
use crate::ids::{ChannelId, ChatId, ContactId, MessageId, ProjectId, SessionId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// Who wrote a message. `PhoneApp` is a person of the business replying from the WhatsApp
/// app (a human reply with no known agent); `System` is automation that never counts as a
/// response in metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SenderKind {
    Contact,
    Agent,
    Bot,
    PhoneApp,
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    Text,
    Image,
    Audio,
    Voice,
    Video,
    Document,
    Sticker,
    Location,
    ContactCard,
    Poll,
    Reaction,
    System,
}

/// What a decoder could tell about a message's content.
#[derive(Debug, Clone, Default)]
pub struct ContentHints<'a> {
    pub has_location: bool,
    pub has_vcards: bool,
    pub has_media: bool,
    pub mimetype: Option<&'a str>,
    /// The engine's own type name when known (`ptt`, `sticker`, `pollCreationMessage`, …).
    pub raw_type: Option<&'a str>,
}

impl ContentType {
    /// Classifies a message the way WAHA's engines mark it: location, vCards, the engine's own
    /// type name, then the media's mimetype.
    pub fn classify(h: &ContentHints<'_>) -> ContentType {
        if let Some(t) = h.raw_type.map(|t| t.to_ascii_lowercase()) {
            let by_name = match t.as_str() {
                "ptt" => Some(ContentType::Voice),
                "sticker" | "stickermessage" => Some(ContentType::Sticker),
                "location" | "locationmessage" | "livelocationmessage" => {
                    Some(ContentType::Location)
                }
                "vcard" | "multi_vcard" | "contactmessage" | "contactsarraymessage" => {
                    Some(ContentType::ContactCard)
                }
                t if t.starts_with("poll") => Some(ContentType::Poll),
                _ => None,
            };
            if let Some(c) = by_name {
                return c;
            }
        }
        if h.has_location {
            return ContentType::Location;
        }
        if h.has_vcards {
            return ContentType::ContactCard;
        }
        match h.mimetype.map(|m| m.trim().to_ascii_lowercase()) {
            Some(m) if m.starts_with("image/webp") => ContentType::Sticker,
            Some(m) if m.starts_with("image/") => ContentType::Image,
            Some(m) if m.starts_with("video/") => ContentType::Video,
            Some(m) if m.starts_with("audio/") => {
                if m.contains("opus") || h.raw_type == Some("audioMessage.ptt") {
                    ContentType::Voice
                } else {
                    ContentType::Audio
                }
            }
            Some(_) => ContentType::Document,
            None if h.has_media => ContentType::Document,
            None => ContentType::Text,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContentType::Text => "text",
            ContentType::Image => "image",
            ContentType::Audio => "audio",
            ContentType::Voice => "voice",
            ContentType::Video => "video",
            ContentType::Document => "document",
            ContentType::Sticker => "sticker",
            ContentType::Location => "location",
            ContentType::ContactCard => "contact_card",
            ContentType::Poll => "poll",
            ContentType::Reaction => "reaction",
            ContentType::System => "system",
        }
    }
}

/// Delivery status. Ordered: a status never moves backwards, except that `Failed` can
/// replace `Pending` only.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Failed,
    Pending,
    Sent,
    Delivered,
    Read,
    Played,
}

impl DeliveryStatus {
    /// From WAHA's `ack` (-1..4).
    pub fn from_ack(ack: i64) -> Option<DeliveryStatus> {
        match ack {
            -1 => Some(DeliveryStatus::Failed),
            0 => Some(DeliveryStatus::Pending),
            1 => Some(DeliveryStatus::Sent),
            2 => Some(DeliveryStatus::Delivered),
            3 => Some(DeliveryStatus::Read),
            4 => Some(DeliveryStatus::Played),
            _ => None,
        }
    }

    /// The status after applying `next`, keeping it monotonic.
    pub fn advance(self, next: DeliveryStatus) -> DeliveryStatus {
        match (self, next) {
            (DeliveryStatus::Pending, DeliveryStatus::Failed) => DeliveryStatus::Failed,
            (_, DeliveryStatus::Failed) => self,
            (DeliveryStatus::Failed, n) if n > DeliveryStatus::Pending => n,
            (cur, n) => cur.max(n),
        }
    }

    pub fn rank(self) -> i16 {
        self as i16
    }

    pub fn from_rank(rank: i64) -> Result<DeliveryStatus, DomainError> {
        [
            DeliveryStatus::Failed,
            DeliveryStatus::Pending,
            DeliveryStatus::Sent,
            DeliveryStatus::Delivered,
            DeliveryStatus::Read,
            DeliveryStatus::Played,
        ]
        .into_iter()
        .find(|s| s.rank() as i64 == rank)
        .ok_or_else(|| DomainError::invalid("status", format!("unknown rank {rank}")))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Failed => "failed",
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Sent => "sent",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Read => "read",
            DeliveryStatus::Played => "played",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Media {
    pub url: Option<String>,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
    pub error: Option<String>,
    /// Ventros' own copy (`GET /v1/messages/{id}/media`; its status at
    /// `GET /v1/media/{file_id}`).
    #[serde(default)]
    pub file_id: Option<crate::ids::MediaFileId>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub channel_id: ChannelId,
    pub chat_id: ChatId,
    pub session_id: SessionId,
    pub contact_id: Option<ContactId>,
    pub direction: Direction,
    pub sender_kind: SenderKind,
    /// The sender's WhatsApp id (the participant in groups).
    pub sender_wa_id: Option<String>,
    pub content_type: ContentType,
    pub body: Option<String>,
    pub media: Option<Media>,
    pub location: Option<serde_json::Value>,
    pub vcards: Vec<String>,
    /// Serialized id of the quoted message, as WAHA gave it.
    pub reply_to: Option<String>,
    pub reply_to_message_id: Option<MessageId>,
    pub status: DeliveryStatus,
    pub provider_id: String,
    pub from_me: bool,
    pub raw_id: String,
    pub imported: bool,
    pub sent_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub edited_at: Option<DateTime<Utc>>,
    pub deleted_at: Option<DateTime<Utc>>,
    pub reactions: serde_json::Value,
    /// The agent (human or bot) who sent it through Ventros.
    pub agent_id: Option<crate::ids::AgentId>,
    /// When WhatsApp confirmed a send through Ventros (echo, ack, or WAHA asked).
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Why a send through Ventros failed.
    pub failure: Option<crate::outbound::SendFailure>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hints(mimetype: Option<&str>, raw_type: Option<&str>) -> ContentHints<'static> {
        ContentHints {
            has_media: mimetype.is_some(),
            mimetype: mimetype.map(|m| Box::leak(m.to_string().into_boxed_str()) as &str),
            raw_type: raw_type.map(|m| Box::leak(m.to_string().into_boxed_str()) as &str),
            ..Default::default()
        }
    }

    #[test]
    fn classifies_by_mimetype_and_engine_type() {
        assert_eq!(
            ContentType::classify(&hints(Some("image/jpeg"), None)),
            ContentType::Image
        );
        assert_eq!(
            ContentType::classify(&hints(Some("image/webp"), None)),
            ContentType::Sticker
        );
        assert_eq!(
            ContentType::classify(&hints(Some("video/mp4"), None)),
            ContentType::Video
        );
        assert_eq!(
            ContentType::classify(&hints(Some("audio/ogg; codecs=opus"), None)),
            ContentType::Voice
        );
        assert_eq!(
            ContentType::classify(&hints(Some("audio/mpeg"), None)),
            ContentType::Audio
        );
        assert_eq!(
            ContentType::classify(&hints(Some("audio/mpeg"), Some("ptt"))),
            ContentType::Voice
        );
        assert_eq!(
            ContentType::classify(&hints(Some("application/pdf"), None)),
            ContentType::Document
        );
        assert_eq!(
            ContentType::classify(&hints(None, Some("pollCreationMessageV3"))),
            ContentType::Poll
        );
        assert_eq!(ContentType::classify(&hints(None, None)), ContentType::Text);
        let loc = ContentHints {
            has_location: true,
            ..Default::default()
        };
        assert_eq!(ContentType::classify(&loc), ContentType::Location);
        let vc = ContentHints {
            has_vcards: true,
            ..Default::default()
        };
        assert_eq!(ContentType::classify(&vc), ContentType::ContactCard);
    }

    fn any_status() -> impl Strategy<Value = DeliveryStatus> {
        (-1i64..=4).prop_map(|a| DeliveryStatus::from_ack(a).unwrap_or(DeliveryStatus::Pending))
    }

    proptest! {
        #[test]
        fn status_never_moves_backwards(seq in proptest::collection::vec(any_status(), 1..20)) {
            let mut cur = DeliveryStatus::Pending;
            for s in seq {
                let next = cur.advance(s);
                if cur > DeliveryStatus::Pending {
                    prop_assert!(next >= cur);
                }
                cur = next;
            }
        }

        #[test]
        fn rank_roundtrip(s in any_status()) {
            prop_assert_eq!(DeliveryStatus::from_rank(s.rank() as i64), Ok(s));
        }
    }
}

/// A change to a message that arrived before the message itself (WAHA does not promise the
/// order of its webhooks): kept, and applied when the message lands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EarlyChange {
    Revoked {
        at: DateTime<Utc>,
    },
    Edited {
        body: Option<String>,
        at: DateTime<Utc>,
    },
    /// `text` empty removes the reactor's reaction.
    Reaction {
        reactor: String,
        text: String,
    },
    PollVote {
        voter: String,
        selected: Vec<String>,
        at: DateTime<Utc>,
    },
}

impl EarlyChange {
    /// What the delivery log says of a change kept for later.
    pub fn kept_reason(&self) -> &'static str {
        match self {
            EarlyChange::Revoked { .. } => "revoke kept until its message arrives",
            EarlyChange::Edited { .. } => "edit kept until its message arrives",
            EarlyChange::Reaction { .. } => "reaction kept until its message arrives",
            EarlyChange::PollVote { .. } => "poll vote kept until its poll arrives",
        }
    }
}
