//! Debounce: a burst of inbound messages in one chat becomes one message group once the
//! channel's quiet window passes (or the group reaches its maximum age), ready for an AI
//! agent to answer in one go.

use crate::DomainError;
use crate::ids::{ChannelId, ChatId, MessageGroupId, MessageId, ProjectId, SessionId, TenantId};
use crate::job::Job;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Completes a message group when its window closes.
pub const MESSAGE_GROUP_FLUSH: &str = "message_group.flush";

pub const DEFAULT_MAX_AGE_MS: i64 = 120_000;
pub const MIN_MAX_AGE_MS: i64 = 1_000;
pub const MAX_MAX_AGE_MS: i64 = 3_600_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupStatus {
    /// Collecting messages.
    Pending,
    /// The window closed; the group is being completed.
    Processing,
    Completed,
    /// Could not be completed (its messages were gone).
    Failed,
    /// A human agent answered in the chat before the window closed.
    Superseded,
}

impl GroupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupStatus::Pending => "pending",
            GroupStatus::Processing => "processing",
            GroupStatus::Completed => "completed",
            GroupStatus::Failed => "failed",
            GroupStatus::Superseded => "superseded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            GroupStatus::Pending,
            GroupStatus::Processing,
            GroupStatus::Completed,
            GroupStatus::Failed,
            GroupStatus::Superseded,
        ]
        .into_iter()
        .find(|g| g.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageGroup {
    pub id: MessageGroupId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub channel_id: ChannelId,
    pub chat_id: ChatId,
    pub session_id: SessionId,
    pub status: GroupStatus,
    /// In arrival order.
    pub message_ids: Vec<MessageId>,
    /// Server time of the first message.
    pub opened_at: DateTime<Utc>,
    /// Server time of the latest message: the quiet window counts from here.
    pub last_message_at: DateTime<Utc>,
    /// The channel's window and the maximum age when the group opened.
    pub debounce_ms: i64,
    pub max_age_ms: i64,
    pub closed_at: Option<DateTime<Utc>>,
}

/// Why a group was completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The quiet window passed with no new message.
    Quiet,
    /// The group reached its maximum age while messages kept coming.
    MaxAge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFlush {
    pub group_id: MessageGroupId,
}

impl MessageGroup {
    /// When the window closes: a quiet window after the latest message, capped by the age.
    pub fn due_at(&self) -> DateTime<Utc> {
        let quiet = crate::time::plus_ms(self.last_message_at, self.debounce_ms);
        quiet.min(self.age_cap())
    }

    fn age_cap(&self) -> DateTime<Utc> {
        crate::time::plus_ms(self.opened_at, self.max_age_ms)
    }

    pub fn close_reason(&self) -> CloseReason {
        let quiet = crate::time::plus_ms(self.last_message_at, self.debounce_ms);
        if quiet <= self.age_cap() {
            CloseReason::Quiet
        } else {
            CloseReason::MaxAge
        }
    }

    /// The flush job for this group; re-arming it on every message moves its due time.
    pub fn job(&self, now: DateTime<Utc>) -> Job {
        Job::pending(
            crate::tenancy::Scope {
                tenant_id: self.tenant_id,
                project_id: self.project_id,
            },
            MESSAGE_GROUP_FLUSH,
            format!("{MESSAGE_GROUP_FLUSH}:{}", self.id),
            serde_json::json!(GroupFlush { group_id: self.id }),
            self.due_at(),
            now,
        )
    }
}

/// A channel's maximum message-group age: 1 s to 1 h.
pub fn validate_max_age(ms: i64) -> Result<i64, DomainError> {
    if !(MIN_MAX_AGE_MS..=MAX_MAX_AGE_MS).contains(&ms) {
        return Err(DomainError::invalid(
            "message_group_max_age_ms",
            "must be 1000 to 3600000",
        ));
    }
    Ok(ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(debounce_ms: i64, max_age_ms: i64, opened: i64, last: i64) -> MessageGroup {
        let t = |ms| DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default();
        MessageGroup {
            id: MessageGroupId::new(),
            tenant_id: TenantId::new(),
            project_id: ProjectId::new(),
            channel_id: ChannelId::new(),
            chat_id: ChatId::new(),
            session_id: SessionId::new(),
            status: GroupStatus::Pending,
            message_ids: vec![],
            opened_at: t(opened),
            last_message_at: t(last),
            debounce_ms,
            max_age_ms,
            closed_at: None,
        }
    }

    #[test]
    fn the_window_follows_the_last_message_until_the_cap() {
        let g = group(15_000, 120_000, 0, 10_000);
        assert_eq!(g.due_at().timestamp_millis(), 25_000);
        assert_eq!(g.close_reason(), CloseReason::Quiet);
        let g = group(15_000, 120_000, 0, 110_000);
        assert_eq!(g.due_at().timestamp_millis(), 120_000);
        assert_eq!(g.close_reason(), CloseReason::MaxAge);
        let g = group(0, 120_000, 0, 5);
        assert_eq!(g.due_at().timestamp_millis(), 5);
    }

    #[test]
    fn statuses_and_limits() {
        for s in ["pending", "processing", "completed", "failed", "superseded"] {
            assert_eq!(GroupStatus::parse(s).map(GroupStatus::as_str), Some(s));
        }
        assert!(validate_max_age(999).is_err());
        assert!(validate_max_age(3_600_001).is_err());
        assert_eq!(validate_max_age(120_000), Ok(120_000));
    }
}
