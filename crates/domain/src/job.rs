//! Durable jobs and timers: rows with a due time, not sleeping tasks. A job carries what it
//! was armed for; the handler checks the current state when it fires ("fire then check"), so
//! re-arming never needs a cancel.

use crate::ids::{JobId, ProjectId, SessionId, TenantId};
use crate::session::Session;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Ends a session after the channel's inactivity timeout.
pub const SESSION_TIMEOUT: &str = "session.timeout";

/// Calculates a session's metrics once it ended.
pub const SESSION_METRICS: &str = "session.metrics";

pub const DEFAULT_MAX_ATTEMPTS: i32 = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Waiting for `run_at`, or leased by a worker (`locked_until` in the future).
    Pending,
    Done,
    /// Failed `max_attempts` times; kept for inspection and manual retry.
    Dead,
}

impl JobStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Done => "done",
            JobStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(JobStatus::Pending),
            "done" => Some(JobStatus::Done),
            "dead" => Some(JobStatus::Dead),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Job {
    pub id: JobId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub kind: String,
    /// One live job per key and tenant: arming the same key again moves it.
    pub key: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// Runs started so far (a claim counts as an attempt).
    pub attempts: i32,
    pub max_attempts: i32,
    pub status: JobStatus,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Job {
    /// A new pending job of `kind` under `key`, due at `run_at`.
    pub fn pending(
        scope: crate::tenancy::Scope,
        kind: &str,
        key: String,
        payload: serde_json::Value,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Job {
        Job {
            id: JobId::new(),
            tenant_id: scope.tenant_id,
            project_id: scope.project_id,
            kind: kind.into(),
            key,
            payload,
            run_at,
            attempts: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            status: JobStatus::Pending,
            last_error: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// The tenant and project the job acts in.
    pub fn scope(&self) -> crate::tenancy::Scope {
        crate::tenancy::Scope {
            tenant_id: self.tenant_id,
            project_id: self.project_id,
        }
    }
}

/// Delay before attempt `attempts + 1` after a failure: 10 s doubling, at most one hour.
pub fn retry_delay(attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.clamp(1, 20) - 1).unwrap_or(0);
    let secs = 10i64.saturating_mul(1i64 << exp.min(16));
    Duration::seconds(secs.min(3600))
}

/// What a session timeout job carries: the session and the inactivity it was armed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionTimeout {
    pub session_id: SessionId,
    pub timeout_seconds: i64,
    /// Inactivity counts from here at the earliest (set when a session is reopened).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_since: Option<DateTime<Utc>>,
    /// When the last message arrived, if it came later than the timeout after it was
    /// written (phone offline, or Ventros down while WAHA retried): the timer then runs a
    /// timeout after the arrival, so the session does not end before anyone could answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late_arrival: Option<DateTime<Utc>>,
}

impl SessionTimeout {
    /// The job that ends `s` `timeout_seconds` after its last message (or its start).
    pub fn job(s: &Session, timeout_seconds: i64, now: DateTime<Utc>) -> Job {
        Self::job_since(s, timeout_seconds, None, now)
    }

    /// As `job`, counting inactivity from `active_since` when that is later.
    pub fn job_since(
        s: &Session,
        timeout_seconds: i64,
        active_since: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Job {
        SessionTimeout {
            session_id: s.id,
            timeout_seconds,
            active_since,
            late_arrival: None,
        }
        .into_job(s, now)
    }

    /// The timer a message that just arrived (re-)arms: as `job`, and when the message
    /// comes at or after its session's deadline (delivered late), from its arrival.
    pub fn on_arrival(s: &Session, timeout_seconds: i64, now: DateTime<Utc>) -> Job {
        let mut t = SessionTimeout {
            session_id: s.id,
            timeout_seconds,
            active_since: None,
            late_arrival: None,
        };
        if t.deadline(s) <= now {
            t.late_arrival = Some(now);
        }
        t.into_job(s, now)
    }

    fn into_job(self, s: &Session, now: DateTime<Utc>) -> Job {
        Job::pending(
            s.scope(),
            SESSION_TIMEOUT,
            Self::key(s.id),
            serde_json::json!(self),
            self.due_at(s),
            now,
        )
    }

    /// The key of a session's one live timer.
    pub fn key(session: SessionId) -> String {
        format!("{SESSION_TIMEOUT}:{session}")
    }

    /// The session's deadline in WhatsApp's time: a timeout after its last message (or
    /// its start, or the reopen). A message written at or after it starts a new session.
    pub fn deadline(&self, s: &Session) -> DateTime<Utc> {
        let last = s.last_message_at.unwrap_or(s.started_at);
        let from = self.active_since.map_or(last, |a| a.max(last));
        crate::time::plus_secs(from, self.timeout_seconds)
    }

    /// When the timer ends the session: its deadline, or a timeout after a late arrival.
    pub fn due_at(&self, s: &Session) -> DateTime<Utc> {
        let deadline = self.deadline(s);
        match self.late_arrival {
            Some(a) => deadline.max(crate::time::plus_secs(a, self.timeout_seconds)),
            None => deadline,
        }
    }
}

/// What a session metrics job carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionMetricsJob {
    pub session_id: SessionId,
}

impl SessionMetricsJob {
    /// Due at once: armed in the transaction that ends the session.
    pub fn job(s: &Session, now: DateTime<Utc>) -> Job {
        Job::pending(
            s.scope(),
            SESSION_METRICS,
            format!("{SESSION_METRICS}:{}", s.id),
            serde_json::json!(SessionMetricsJob { session_id: s.id }),
            now,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        assert_eq!(retry_delay(1), Duration::seconds(10));
        assert_eq!(retry_delay(2), Duration::seconds(20));
        assert_eq!(retry_delay(4), Duration::seconds(80));
        assert_eq!(retry_delay(30), Duration::seconds(3600));
        assert_eq!(retry_delay(0), Duration::seconds(10));
    }

    #[test]
    fn a_late_message_counts_inactivity_from_arrival() {
        use crate::ids::{ChannelId, ChatId};
        use crate::tenancy::Scope;
        let sent = chrono::DateTime::parse_from_rfc3339("2026-01-01T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let scope = Scope {
            tenant_id: TenantId::new(),
            project_id: ProjectId::new(),
        };
        let mut s = Session::open(scope, ChannelId::new(), ChatId::new(), None, sent);
        s.last_message_at = Some(sent);
        let timer = |job: &Job| serde_json::from_value::<SessionTimeout>(job.payload.clone());
        // Within the timeout: inactivity counts from the message.
        let job = SessionTimeout::on_arrival(&s, 1800, sent + Duration::seconds(60));
        assert_eq!(job.run_at, sent + Duration::seconds(1800));
        assert_eq!(timer(&job).ok().and_then(|t| t.late_arrival), None);
        // Two hours late: the timer runs a whole timeout after the arrival, while the
        // deadline a later message is measured against stays in WhatsApp's time.
        let late = sent + Duration::hours(2);
        let job = SessionTimeout::on_arrival(&s, 1800, late);
        assert_eq!(job.run_at, late + Duration::seconds(1800));
        let t = timer(&job).ok();
        assert_eq!(t.as_ref().and_then(|t| t.late_arrival), Some(late));
        assert_eq!(
            t.map(|t| t.deadline(&s)),
            Some(sent + Duration::seconds(1800))
        );
        // Exactly at the deadline is late too (the timer would be due on arrival).
        let at_deadline = sent + Duration::seconds(1800);
        let job = SessionTimeout::on_arrival(&s, 1800, at_deadline);
        assert_eq!(job.run_at, at_deadline + Duration::seconds(1800));
    }

    #[test]
    fn statuses_roundtrip() {
        for s in [JobStatus::Pending, JobStatus::Done, JobStatus::Dead] {
            assert_eq!(JobStatus::parse(s.as_str()), Some(s));
        }
    }
}
