//! Chats: one WhatsApp thread per (channel, chat id). Threads never end; sessions do.

use crate::ids::{ChannelId, ChatId, ContactId, ProjectId, TenantId};
use crate::wa_id::{Jid, JidKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatKind {
    Individual,
    Group,
    Channel,
}

impl ChatKind {
    /// The kind of thread a chat JID names; `None` for status broadcasts, which are not chats.
    pub fn of(jid: &Jid) -> Option<ChatKind> {
        match jid.kind() {
            JidKind::Person | JidKind::Lid => Some(ChatKind::Individual),
            JidKind::Group => Some(ChatKind::Group),
            JidKind::Newsletter => Some(ChatKind::Channel),
            JidKind::Broadcast => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChatKind::Individual => "individual",
            ChatKind::Group => "group",
            ChatKind::Channel => "channel",
        }
    }

    pub fn parse(s: &str) -> Option<ChatKind> {
        match s {
            "individual" => Some(ChatKind::Individual),
            "group" => Some(ChatKind::Group),
            "channel" => Some(ChatKind::Channel),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Chat {
    pub id: ChatId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub channel_id: ChannelId,
    pub wa_chat_id: String,
    pub kind: ChatKind,
    /// The contact of an individual chat.
    pub contact_id: Option<ContactId>,
    pub subject: Option<String>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Participant {
    pub wa_id: String,
    pub role: String,
    pub left_at: Option<DateTime<Utc>>,
}
