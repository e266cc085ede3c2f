//! Agents: who answers customers. Humans are linked to a user; bots and the system are not.

use crate::DomainError;
use crate::ids::{AgentId, ProjectId, TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentKind {
    Human,
    Bot,
    System,
}

impl AgentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentKind::Human => "human",
            AgentKind::Bot => "bot",
            AgentKind::System => "system",
        }
    }

    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "human" => Ok(AgentKind::Human),
            "bot" => Ok(AgentKind::Bot),
            "system" => Ok(AgentKind::System),
            other => Err(DomainError::invalid(
                "kind",
                format!("unknown agent kind {other:?}; use human, bot or system"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agent {
    pub id: AgentId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub kind: AgentKind,
    pub name: String,
    /// Set for human agents only.
    pub user_id: Option<UserId>,
    /// Set for the bot an API key sends as.
    pub api_key_id: Option<crate::ids::ApiKeyId>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Whom an agent stands for, to find the one that sends for a caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentOwner {
    User(UserId),
    ApiKey(crate::ids::ApiKeyId),
    /// Ventros itself: the project's first system agent.
    System,
}

/// A human agent must name its user; bots and the system must not.
pub fn check_link(kind: AgentKind, user: Option<UserId>) -> Result<(), DomainError> {
    match (kind, user) {
        (AgentKind::Human, None) => Err(DomainError::invalid(
            "user_id",
            "a human agent is linked to a user",
        )),
        (AgentKind::Bot | AgentKind::System, Some(_)) => Err(DomainError::invalid(
            "user_id",
            "only human agents are linked to a user",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_links() {
        for k in [AgentKind::Human, AgentKind::Bot, AgentKind::System] {
            assert_eq!(AgentKind::parse(k.as_str()), Ok(k));
        }
        assert!(check_link(AgentKind::Human, None).is_err());
        assert!(check_link(AgentKind::Bot, Some(UserId::new())).is_err());
        assert!(check_link(AgentKind::Human, Some(UserId::new())).is_ok());
        assert!(check_link(AgentKind::System, None).is_ok());
    }
}
