//! Notes: free text an agent leaves on a contact, optionally about one session.

use crate::DomainError;
use crate::ids::{ContactId, NoteId, ProjectId, SessionId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const MAX_NOTE_CHARS: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Note {
    pub id: NoteId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub contact_id: ContactId,
    pub session_id: Option<SessionId>,
    pub body: String,
    /// `user:<id>` or `api_key:<id>`.
    pub author: String,
    pub created_at: DateTime<Utc>,
}

pub fn validate_body(body: &str) -> Result<String, DomainError> {
    let b = body.trim();
    if b.is_empty() || b.chars().count() > MAX_NOTE_CHARS {
        return Err(DomainError::invalid(
            "body",
            format!("must be 1 to {MAX_NOTE_CHARS} characters"),
        ));
    }
    Ok(b.to_string())
}
