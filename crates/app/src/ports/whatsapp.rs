//! The WhatsApp gateway (WAHA today) as the use cases see it: sending, reading back what was
//! sent, contacts and the session. One error type tells a refusal (nothing happened) from an
//! unknown outcome (it may have happened), which is what a send saga must know before it
//! retries.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Where and how to reach one channel's gateway session.
#[derive(Clone, PartialEq, Eq)]
pub struct GatewayTarget {
    pub base_url: String,
    pub api_key: String,
    pub session: String,
}

impl std::fmt::Debug for GatewayTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayTarget")
            .field("base_url", &self.base_url)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GatewayError {
    /// The gateway answered and will not do it (4xx, or 501 for a call the engine lacks): a
    /// bad key, an unknown session, a session that is not working, an invalid request.
    /// Nothing was sent.
    #[error("the gateway refused ({status} {code}): {message}")]
    Refused {
        status: u16,
        /// `unauthorized`, `session_not_found`, `session_not_working`, `not_found`,
        /// `invalid_request`, `not_supported`, `too_large` or `refused`.
        code: &'static str,
        message: String,
        /// The gateway's own error body, kept as it came.
        detail: serde_json::Value,
    },
    /// The request never reached the gateway (connection refused, DNS): nothing was sent,
    /// a retry is safe.
    #[error("the gateway is unreachable: {0}")]
    Unreachable(String),
    /// No usable answer (a timeout, a reset, a 5xx, a body that is not what was expected):
    /// the request may or may not have taken effect.
    #[error("the gateway's answer is unknown: {0}")]
    Unknown(String),
}

impl GatewayError {
    /// Whether the request may have taken effect.
    pub fn outcome_unknown(&self) -> bool {
        matches!(self, GatewayError::Unknown(_))
    }
}

pub type GatewayResult<T> = Result<T, GatewayError>;

/// A file to send: a URL the gateway downloads, or the bytes themselves.
#[derive(Debug, Clone, PartialEq)]
pub enum FileSource {
    Url(String),
    Data(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendFile {
    pub source: FileSource,
    pub mimetype: String,
    pub filename: Option<String>,
}

/// A contact card: the fields, or a whole vCard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ContactCard {
    Fields { full_name: String, phone: String },
    Vcard { vcard: String },
}

/// What to send, one variant per gateway send call.
#[derive(Debug, Clone, PartialEq)]
pub enum SendBody {
    Text {
        text: String,
        link_preview: bool,
        /// WhatsApp ids (`…@c.us`) mentioned; each must appear as `@number` in the text.
        mentions: Vec<String>,
    },
    Image {
        file: SendFile,
        caption: Option<String>,
    },
    File {
        file: SendFile,
        caption: Option<String>,
    },
    Video {
        file: SendFile,
        caption: Option<String>,
    },
    /// OGG/Opus is sent as it is; anything else is converted by the gateway.
    Voice {
        file: SendFile,
    },
    Location {
        latitude: f64,
        longitude: f64,
        title: Option<String>,
    },
    ContactCards {
        contacts: Vec<ContactCard>,
    },
    Poll {
        name: String,
        options: Vec<String>,
        multiple_answers: bool,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    /// The WhatsApp chat id (`…@c.us`, `…@g.us`).
    pub chat_id: String,
    pub body: SendBody,
    /// The serialized id of the message replied to.
    pub reply_to: Option<String>,
    /// An id reserved with `new_message_id` (engines that support it), so the message can be
    /// looked up even when the send's answer is lost.
    pub reserved_id: Option<String>,
}

/// A message the gateway has: enough to confirm a send.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewayMessage {
    /// The serialized id (`true_{chat}_{rawId}`).
    pub id: String,
    pub from_me: bool,
    /// WhatsApp's `ack` (-1..4), when the gateway gave one.
    pub ack: Option<i64>,
    /// Seconds since the epoch, when given.
    pub timestamp: Option<i64>,
    pub media_url: Option<String>,
}

/// The session as the gateway reports it.
#[derive(Debug, Clone, PartialEq)]
pub struct GatewaySession {
    pub name: String,
    /// `STOPPED`, `STARTING`, `SCAN_QR_CODE`, `WORKING`, `FAILED`, …
    pub status: String,
    /// `NOWEB`, `GOWS`, `WEBJS`, when reported.
    pub engine: Option<String>,
    /// The session's whole configuration, as the gateway keeps it (webhooks included).
    pub config: serde_json::Value,
}

/// `typing`, `paused` (stopped typing) or `recording`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Typing,
    Paused,
    Recording,
}

/// A downloaded file.
#[derive(Debug, Clone, PartialEq)]
pub struct Downloaded {
    pub bytes: Vec<u8>,
    pub mimetype: Option<String>,
}

/// Sending and everything that acts on sent messages.
#[async_trait]
pub trait MessageGateway: Send + Sync {
    /// Sends; the serialized id of the new message when the gateway's answer names it.
    async fn send(&self, t: &GatewayTarget, req: &SendRequest) -> GatewayResult<Option<String>>;
    /// Reserves a raw message id to send with (`None`: the engine does not support it).
    async fn new_message_id(&self, t: &GatewayTarget) -> GatewayResult<Option<String>>;
    /// The message with this serialized id, or `None` when the gateway does not have it.
    async fn get_message(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        message_id: &str,
        download_media: bool,
    ) -> GatewayResult<Option<GatewayMessage>>;
    /// Sets (or with `""` removes) this account's reaction to a message.
    async fn react(&self, t: &GatewayTarget, message_id: &str, emoji: &str) -> GatewayResult<()>;
    async fn edit(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        message_id: &str,
        text: &str,
    ) -> GatewayResult<()>;
    /// Deletes a sent message for everyone.
    async fn delete(&self, t: &GatewayTarget, chat_id: &str, message_id: &str)
    -> GatewayResult<()>;
    /// Marks the chat (or these messages) as seen.
    async fn send_seen(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        message_ids: &[String],
    ) -> GatewayResult<()>;
    async fn set_presence(
        &self,
        t: &GatewayTarget,
        chat_id: &str,
        presence: Presence,
    ) -> GatewayResult<()>;
}

/// Who is on WhatsApp, and what they look like.
#[async_trait]
pub trait ContactGateway: Send + Sync {
    /// The chat id WhatsApp knows for this phone (digits only), or `None` when the number is
    /// not on WhatsApp.
    async fn check_exists(&self, t: &GatewayTarget, phone: &str) -> GatewayResult<Option<String>>;
    /// The profile picture's URL, or `None` when there is none (or it is hidden).
    async fn profile_picture(
        &self,
        t: &GatewayTarget,
        contact_id: &str,
    ) -> GatewayResult<Option<String>>;
    /// The phone JID behind a `…@lid`, when the gateway knows it.
    async fn lid_phone(&self, t: &GatewayTarget, lid: &str) -> GatewayResult<Option<String>>;
    /// Downloads a file the gateway serves (media of a message), up to `max_bytes`.
    async fn download(
        &self,
        t: &GatewayTarget,
        url: &str,
        max_bytes: usize,
    ) -> GatewayResult<Downloaded>;
}

/// The gateway session itself.
#[async_trait]
pub trait SessionGateway: Send + Sync {
    /// The session, or `None` when the gateway has no session of that name.
    async fn session(&self, t: &GatewayTarget) -> GatewayResult<Option<GatewaySession>>;
    /// Replaces the session's configuration (the gateway restarts a running session).
    async fn update_config(
        &self,
        t: &GatewayTarget,
        config: &serde_json::Value,
    ) -> GatewayResult<()>;
    /// The login QR code as PNG, while the session waits for a scan.
    async fn qr_png(&self, t: &GatewayTarget) -> GatewayResult<Vec<u8>>;
}

/// Every gateway capability, for the composition root.
pub trait WhatsAppGateway: MessageGateway + ContactGateway + SessionGateway {}

impl<T: MessageGateway + ContactGateway + SessionGateway + ?Sized> WhatsAppGateway for T {}
