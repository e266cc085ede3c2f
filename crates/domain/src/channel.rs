//! A channel is one WhatsApp number behind one WAHA session.

use crate::DomainError;
use crate::ids::{ChannelId, ProjectId, TenantId};
use crate::secret::Secret;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub const DEFAULT_DEBOUNCE_MS: i64 = 15_000;
pub const MAX_DEBOUNCE_MS: i64 = 300_000;
pub const DEFAULT_SESSION_TIMEOUT_S: i64 = 1_800;
pub const MIN_SESSION_TIMEOUT_S: i64 = 10;
/// 30 days: longer inactivity is not one service episode (and keeps time arithmetic in range).
pub const MAX_SESSION_TIMEOUT_S: i64 = 2_592_000;
pub const DEFAULT_CONFIRM_TIMEOUT_S: i64 = 60;
pub const DEFAULT_MAX_MESSAGES_PER_MINUTE: i64 = 20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStrategy {
    None,
    Recent,
    Full,
}

impl ImportStrategy {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStrategy::None => "none",
            ImportStrategy::Recent => "recent",
            ImportStrategy::Full => "full",
        }
    }
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        match s {
            "none" => Ok(ImportStrategy::None),
            "recent" => Ok(ImportStrategy::Recent),
            "full" => Ok(ImportStrategy::Full),
            o => Err(DomainError::invalid(
                "import_strategy",
                format!("unknown strategy {o:?}"),
            )),
        }
    }
}

/// WAHA session status as last reported by `session.status` (`UNKNOWN` until the first one).
pub fn normalise_status(s: &str) -> String {
    let up = s.trim().to_ascii_uppercase();
    match up.as_str() {
        "STOPPED"
        | "STARTING"
        | "SCAN_QR_CODE"
        | "WORKING"
        | "FAILED"
        | "PASSKEY_REQUIRED"
        | "PASSKEY_CONFIRMATION_REQUIRED" => up,
        _ => "UNKNOWN".to_string(),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub id: ChannelId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub name: String,
    pub waha_base_url: String,
    #[serde(skip_serializing)]
    pub waha_api_key: Secret,
    pub waha_session: String,
    #[serde(skip_serializing)]
    pub webhook_hmac_key: Option<Secret>,
    pub status: String,
    pub debounce_timeout_ms: i64,
    pub session_timeout_seconds: i64,
    /// A message group completes at this age even while messages keep coming.
    pub message_group_max_age_ms: i64,
    pub import_strategy: ImportStrategy,
    /// Set when the channel passed its activation checks; only an active channel sends.
    pub activated_at: Option<DateTime<Utc>>,
    /// How long a send may stay unconfirmed (no echo, no ack) before WAHA is asked.
    pub confirm_timeout_seconds: i64,
    /// Messages that leave per minute; more wait their turn.
    pub max_messages_per_minute: i64,
    /// Sends look typed by a person: seen, typing for a while, then the message.
    pub human_pacing: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

impl Channel {
    pub fn is_active(&self) -> bool {
        self.activated_at.is_some() && self.deleted_at.is_none()
    }
}

pub fn validate_base_url(url: &str) -> Result<String, DomainError> {
    let u = url.trim().trim_end_matches('/');
    let rest = u
        .strip_prefix("http://")
        .or_else(|| u.strip_prefix("https://"))
        .ok_or_else(|| {
            DomainError::invalid("waha.base_url", "must start with http:// or https://")
        })?;
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(DomainError::invalid("waha.base_url", "has no host"));
    }
    Ok(u.to_string())
}

pub fn validate_debounce(ms: i64) -> Result<i64, DomainError> {
    if !(0..=MAX_DEBOUNCE_MS).contains(&ms) {
        return Err(DomainError::invalid(
            "debounce_timeout_ms",
            "must be 0 to 300000",
        ));
    }
    Ok(ms)
}

pub fn validate_session_timeout(s: i64) -> Result<i64, DomainError> {
    if !(MIN_SESSION_TIMEOUT_S..=MAX_SESSION_TIMEOUT_S).contains(&s) {
        return Err(DomainError::invalid(
            "session_timeout_seconds",
            format!("must be {MIN_SESSION_TIMEOUT_S} to {MAX_SESSION_TIMEOUT_S} (30 days)"),
        ));
    }
    Ok(s)
}

pub fn validate_confirm_timeout(s: i64) -> Result<i64, DomainError> {
    if !(10..=3_600).contains(&s) {
        return Err(DomainError::invalid(
            "confirm_timeout_seconds",
            "must be 10 to 3600",
        ));
    }
    Ok(s)
}

pub fn validate_max_per_minute(n: i64) -> Result<i64, DomainError> {
    if !(1..=1_000).contains(&n) {
        return Err(DomainError::invalid(
            "max_messages_per_minute",
            "must be 1 to 1000",
        ));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation() {
        assert_eq!(
            validate_base_url("http://waha:3000/"),
            Ok("http://waha:3000".into())
        );
        assert!(validate_base_url("ftp://x").is_err());
        assert!(validate_debounce(300_001).is_err());
        assert!(validate_session_timeout(9).is_err());
        assert!(validate_session_timeout(MAX_SESSION_TIMEOUT_S + 1).is_err());
        assert_eq!(validate_session_timeout(10), Ok(10));
        assert_eq!(normalise_status("working"), "WORKING");
        assert_eq!(normalise_status("weird"), "UNKNOWN");
    }
}
