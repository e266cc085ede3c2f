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
    pub last_contact_message_at: Option<DateTime<Utc>>,
    pub last_agent_message_at: Option<DateTime<Utc>>,
    /// Kept up to date as messages arrive; final once `metrics` is set.
    pub agent_first_response_seconds: Option<i64>,
    pub contact_first_response_seconds: Option<i64>,
    /// The agent on duty when the first reply to the contact was recorded.
    pub first_response_agent_id: Option<AgentId>,
    /// The full figures, calculated when the session ended.
    pub metrics: Option<crate::metrics::SessionMetrics>,
}

impl Session {
    /// A new active session opened by a message at `started_at`.
    pub fn open(
        scope: crate::tenancy::Scope,
        channel_id: ChannelId,
        chat_id: ChatId,
        contact_id: Option<ContactId>,
        started_at: DateTime<Utc>,
    ) -> Session {
        Session {
            id: crate::ids::SessionId::new(),
            tenant_id: scope.tenant_id,
            project_id: scope.project_id,
            channel_id,
            chat_id,
            contact_id,
            status: SessionStatus::Active,
            started_at,
            ended_at: None,
            end_reason: None,
            first_contact_message_at: None,
            first_agent_message_at: None,
            last_message_at: None,
            contact_messages: 0,
            agent_messages: 0,
            system_messages: 0,
            agent_id: None,
            last_contact_message_at: None,
            last_agent_message_at: None,
            agent_first_response_seconds: None,
            contact_first_response_seconds: None,
            first_response_agent_id: None,
            metrics: None,
        }
    }

    pub fn scope(&self) -> crate::tenancy::Scope {
        crate::tenancy::Scope {
            tenant_id: self.tenant_id,
            project_id: self.project_id,
        }
    }

    /// Whether the contact's latest message has had no reply yet.
    pub fn waiting_for_answer(&self) -> bool {
        match (self.last_contact_message_at, self.last_agent_message_at) {
            (Some(c), Some(a)) => c > a,
            (Some(_), None) => true,
            _ => false,
        }
    }
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
        let earliest = |t: Option<DateTime<Utc>>| Some(t.map_or(self.at, |t| t.min(self.at)));
        let latest = |t: Option<DateTime<Utc>>| Some(t.map_or(self.at, |t| t.max(self.at)));
        if self.by_contact {
            s.contact_messages += 1;
            s.first_contact_message_at = earliest(s.first_contact_message_at);
            s.last_contact_message_at = latest(s.last_contact_message_at);
        } else if self.by_agent {
            s.agent_messages += 1;
            s.first_agent_message_at = earliest(s.first_agent_message_at);
            s.last_agent_message_at = latest(s.last_agent_message_at);
        } else {
            s.system_messages += 1;
        }
        s.last_message_at = latest(s.last_message_at);
        // First response, incrementally (docs/METRICS.md); the end-of-session figures supersede it.
        if let (Some(c), Some(a)) = (s.first_contact_message_at, s.first_agent_message_at) {
            let secs = (a - c).num_seconds();
            if secs >= 0 {
                s.agent_first_response_seconds = Some(secs);
                s.contact_first_response_seconds = None;
                if s.first_response_agent_id.is_none() {
                    s.first_response_agent_id = s.agent_id;
                }
            } else {
                s.agent_first_response_seconds = None;
                s.contact_first_response_seconds = Some(-secs);
                s.first_response_agent_id = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn touches_count_by_sender_and_keep_earliest_first() {
        let t = |s| Utc.timestamp_opt(s, 0).single().unwrap_or_default();
        let mut s = Session::open(
            crate::tenancy::Scope {
                tenant_id: TenantId::new(),
                project_id: ProjectId::new(),
            },
            ChannelId::new(),
            ChatId::new(),
            None,
            t(100),
        );
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
        assert_eq!(s.agent_first_response_seconds, Some(150));
        assert_eq!(s.contact_first_response_seconds, None);
        assert_eq!(s.last_contact_message_at, Some(t(200)));
        assert!(!s.waiting_for_answer());
        SessionTouch::of(Direction::Inbound, SenderKind::Contact, t(400)).apply(&mut s);
        assert!(s.waiting_for_answer());
    }

    #[test]
    fn an_agent_writing_first_measures_the_contact() {
        let t = |s| Utc.timestamp_opt(s, 0).single().unwrap_or_default();
        let scope = crate::tenancy::Scope {
            tenant_id: TenantId::new(),
            project_id: ProjectId::new(),
        };
        let mut s = Session::open(scope, ChannelId::new(), ChatId::new(), None, t(0));
        SessionTouch::of(Direction::Outbound, SenderKind::Agent, t(10)).apply(&mut s);
        SessionTouch::of(Direction::Inbound, SenderKind::Contact, t(70)).apply(&mut s);
        assert_eq!(s.contact_first_response_seconds, Some(60));
        assert_eq!(s.agent_first_response_seconds, None);
    }
}
