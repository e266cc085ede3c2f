//! A session is one service episode inside an endless chat.

use crate::ids::{
    AgentId, AssignmentId, ChannelId, ChatId, ContactId, ProjectId, SessionId, TenantId,
};
use crate::message::{Direction, SenderKind};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Ended,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Active => "active",
            SessionStatus::Ended => "ended",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(SessionStatus::Active),
            "ended" => Some(SessionStatus::Ended),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Session {
    pub id: SessionId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub channel_id: ChannelId,
    pub chat_id: ChatId,
    pub contact_id: Option<ContactId>,
    pub status: SessionStatus,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<String>,
    pub first_contact_message_at: Option<DateTime<Utc>>,
    pub first_agent_message_at: Option<DateTime<Utc>>,
    pub last_message_at: Option<DateTime<Utc>>,
    pub contact_messages: i64,
    pub agent_messages: i64,
    pub system_messages: i64,
    /// The agent on duty, when one is assigned.
    pub agent_id: Option<AgentId>,
}

/// One interval during which a session was assigned to an agent (or to nobody).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Assignment {
    pub id: AssignmentId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub session_id: SessionId,
    /// The agent on duty in this interval; `None` when the session was unassigned.
    pub agent_id: Option<AgentId>,
    /// Who had it before.
    pub from_agent_id: Option<AgentId>,
    /// `assign`, `transfer` or `unassign`.
    pub kind: String,
    pub note: Option<String>,
    /// `user:<id>` or `api_key:<id>`.
    pub by: String,
    pub started_at: DateTime<Utc>,
    /// Set when the next assignment (or the end of the session) closed this interval.
    pub ended_at: Option<DateTime<Utc>>,
}

/// A reason given to close a session: 1 to 200 characters.
pub fn validate_close_reason(r: &str) -> Result<String, crate::DomainError> {
    let r = r.trim();
    if r.is_empty() || r.chars().count() > 200 {
        return Err(crate::DomainError::invalid(
            "reason",
            "must be 1 to 200 characters",
        ));
    }
    Ok(r.to_string())
}

/// How one message moves a session's counters and first-message timestamps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionTouch {
    pub at: DateTime<Utc>,
    pub by_contact: bool,
    /// A human or bot reply (agent, bot or the phone app); system messages are not replies.
    pub by_agent: bool,
}

impl SessionTouch {
    pub fn of(direction: Direction, sender: SenderKind, at: DateTime<Utc>) -> Self {
        let by_contact = direction == Direction::Inbound && sender == SenderKind::Contact;
        let by_agent = matches!(
            sender,
            SenderKind::Agent | SenderKind::Bot | SenderKind::PhoneApp
        );
        SessionTouch {
            at,
            by_contact,
            by_agent,
        }
    }

    pub fn apply(&self, s: &mut Session) {
        if self.by_contact {
            s.contact_messages += 1;
            s.first_contact_message_at = Some(
                s.first_contact_message_at
                    .map_or(self.at, |t| t.min(self.at)),
            );
        } else if self.by_agent {
            s.agent_messages += 1;
            s.first_agent_message_at =
                Some(s.first_agent_message_at.map_or(self.at, |t| t.min(self.at)));
        } else {
            s.system_messages += 1;
        }
        s.last_message_at = Some(s.last_message_at.map_or(self.at, |t| t.max(self.at)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn touches_count_by_sender_and_keep_earliest_first() {
        let t = |s| Utc.timestamp_opt(s, 0).single().unwrap_or_default();
        let mut s = Session {
            id: SessionId::new(),
            tenant_id: TenantId::new(),
            project_id: ProjectId::new(),
            channel_id: ChannelId::new(),
            chat_id: ChatId::new(),
            contact_id: None,
            status: SessionStatus::Active,
            started_at: t(100),
            ended_at: None,
            end_reason: None,
            first_contact_message_at: None,
            first_agent_message_at: None,
            last_message_at: None,
            contact_messages: 0,
            agent_messages: 0,
            system_messages: 0,
            agent_id: None,
        };
        SessionTouch::of(Direction::Inbound, SenderKind::Contact, t(200)).apply(&mut s);
        SessionTouch::of(Direction::Inbound, SenderKind::Contact, t(150)).apply(&mut s);
        SessionTouch::of(Direction::Outbound, SenderKind::PhoneApp, t(300)).apply(&mut s);
        SessionTouch::of(Direction::Outbound, SenderKind::System, t(310)).apply(&mut s);
        assert_eq!(s.first_contact_message_at, Some(t(150)));
        assert_eq!(s.first_agent_message_at, Some(t(300)));
        assert_eq!(s.last_message_at, Some(t(310)));
        assert_eq!(
            (s.contact_messages, s.agent_messages, s.system_messages),
            (2, 1, 1)
        );
    }
}
