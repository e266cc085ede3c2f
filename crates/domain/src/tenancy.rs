//! Tenants, projects, users and API keys.

use crate::DomainError;
use crate::ids::{ApiKeyId, ProjectId, TenantId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Supervisor,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Result<Role, DomainError> {
        match s {
            "admin" => Ok(Role::Admin),
            "supervisor" => Ok(Role::Supervisor),
            "agent" => Ok(Role::Agent),
            other => Err(DomainError::invalid(
                "role",
                format!("unknown role {other:?}"),
            )),
        }
    }
}

/// Who may see what: every store call carries the tenant and project it acts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Scope {
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tenant {
    pub id: TenantId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Project {
    pub id: ProjectId,
    pub tenant_id: TenantId,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: UserId,
    pub tenant_id: TenantId,
    pub email: String,
    pub name: String,
    /// argon2id PHC string; never serialised to clients.
    #[serde(skip_serializing)]
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiKey {
    pub id: ApiKeyId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub name: String,
    /// First characters of the key, safe to show.
    pub prefix: String,
    /// Hex SHA-256 of the whole key; the key itself is shown once and never stored.
    #[serde(skip_serializing)]
    pub key_hash: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Validates an email address enough to catch typos: one `@`, a dot in the domain.
pub fn validate_email(email: &str) -> Result<String, DomainError> {
    let e = email.trim().to_ascii_lowercase();
    let ok = match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    };
    if !ok || e.len() > 254 || e.contains(char::is_whitespace) {
        return Err(DomainError::invalid("email", "not a valid email address"));
    }
    Ok(e)
}

pub fn validate_name(field: &'static str, name: &str) -> Result<String, DomainError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 200 {
        return Err(DomainError::invalid(field, "must be 1 to 200 characters"));
    }
    Ok(n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            validate_email(" A@Example.com "),
            Ok("a@example.com".into())
        );
        assert!(validate_email("a@b").is_err());
        assert!(validate_email("ab.com").is_err());
    }

    #[test]
    fn roles_roundtrip() {
        for r in [Role::Admin, Role::Supervisor, Role::Agent] {
            assert_eq!(Role::parse(r.as_str()), Ok(r));
        }
        assert!(Role::parse("root").is_err());
    }
}
