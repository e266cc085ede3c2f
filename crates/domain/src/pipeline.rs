//! Pipelines: how a project groups its contacts (sales funnels, service queues). A pipeline may
//! override the channel's session inactivity timeout for the sessions of its contacts.

use crate::DomainError;
use crate::channel::validate_session_timeout;
use crate::ids::{PipelineId, ProjectId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Pipeline {
    pub id: PipelineId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub name: String,
    /// When set, sessions of contacts in this pipeline end after this much inactivity instead
    /// of their channel's `session_timeout_seconds`.
    pub session_timeout_seconds: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An override is held to the same bounds as a channel's timeout.
pub fn validate_timeout_override(s: Option<i64>) -> Result<Option<i64>, DomainError> {
    s.map(validate_session_timeout).transpose()
}

/// The inactivity timeout a session obeys: its contact's pipeline override, else the channel's.
pub fn effective_session_timeout(channel_seconds: i64, pipeline_override: Option<i64>) -> i64 {
    pipeline_override.unwrap_or(channel_seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn override_wins_and_is_bounded() {
        assert_eq!(effective_session_timeout(1800, None), 1800);
        assert_eq!(effective_session_timeout(1800, Some(60)), 60);
        assert_eq!(validate_timeout_override(None), Ok(None));
        assert_eq!(validate_timeout_override(Some(10)), Ok(Some(10)));
        assert!(validate_timeout_override(Some(9)).is_err());
        assert!(validate_timeout_override(Some(i64::MAX)).is_err());
    }
}
