//! WAHA JSON shapes, as loose as WAHA is: every field optional, unknown fields ignored.

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
pub struct Envelope {
    pub id: Option<String>,
    pub timestamp: Option<f64>,
    pub event: Option<String>,
    #[serde(default)]
    pub payload: Value,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaMessage {
    pub id: Option<String>,
    pub timestamp: Option<f64>,
    pub from_me: Option<bool>,
    pub source: Option<String>,
    pub participant: Option<String>,
    pub body: Option<String>,
    pub has_media: Option<bool>,
    pub media: Option<WaMedia>,
    pub location: Option<Value>,
    pub v_cards: Option<Vec<String>>,
    pub reply_to: Option<ReplyTo>,
    #[serde(rename = "_data")]
    pub data: Option<Value>,
    pub edited_message_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct WaMedia {
    pub url: Option<String>,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub struct ReplyTo {
    pub id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ack {
    pub id: Option<String>,
    pub from_me: Option<bool>,
    pub ack: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Revoked {
    pub after: Option<WaMessage>,
    pub before: Option<WaMessage>,
    pub revoked_message_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reaction {
    pub from: Option<String>,
    pub from_me: Option<bool>,
    pub participant: Option<String>,
    pub timestamp: Option<f64>,
    pub reaction: Option<ReactionBody>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReactionBody {
    pub text: Option<String>,
    pub message_id: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SessionStatus {
    pub status: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Presence {
    pub id: Option<String>,
    #[serde(default)]
    pub presences: Value,
}

#[derive(Debug, Deserialize)]
pub struct GroupEvent {
    #[serde(rename = "type")]
    pub change: Option<String>,
    pub timestamp: Option<f64>,
    pub group: Option<Group>,
    #[serde(default)]
    pub participants: Vec<GroupParticipant>,
}

#[derive(Debug, Deserialize)]
pub struct Group {
    pub id: Option<String>,
    pub subject: Option<String>,
    #[serde(default)]
    pub participants: Vec<GroupParticipant>,
}

#[derive(Debug, Deserialize)]
pub struct GroupParticipant {
    pub id: Option<String>,
    pub role: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Call {
    pub id: Option<String>,
    pub from: Option<String>,
    pub timestamp: Option<f64>,
    pub is_video: Option<bool>,
    pub is_group: Option<bool>,
}

#[derive(Debug, Deserialize)]
pub struct PollVoteEvent {
    pub vote: Option<PollVote>,
    pub poll: Option<PollRef>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollVote {
    pub from: Option<String>,
    pub from_me: Option<bool>,
    pub participant: Option<String>,
    #[serde(default)]
    pub selected_options: Vec<String>,
    pub timestamp: Option<f64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollRef {
    pub id: Option<String>,
}
