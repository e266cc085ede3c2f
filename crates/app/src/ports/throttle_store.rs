use crate::error::AppResult;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use ventros_domain::rate_limit::Quota;

/// Where request buckets live (memory for one process; the database or Redis so that every
/// instance shares them). Keys arrive hashed (see [`crate::throttle::throttle_key`]), so a
/// store never holds an email, an address or a caller's id.
#[async_trait]
pub trait RateLimitStore: Send + Sync {
    /// Takes one request from the bucket `key` at `now` (the domain's GCRA): `None` when it
    /// is allowed, else the microseconds until it would be.
    async fn take(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> AppResult<Option<i64>>;
}

/// Failed logins per account, shared like the buckets.
#[async_trait]
pub trait LoginFailureStore: Send + Sync {
    /// The failures counted for `key` in its window (which starts at its first failure) and
    /// when that window ends; `None` when the window has passed or nothing failed.
    async fn login_failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Option<(u32, DateTime<Utc>)>>;
    /// Counts one failure, starting a window of `window` when none is open.
    async fn record_login_failure(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> AppResult<()>;
    /// Forgets the failures (a successful login).
    async fn clear_login_failures(&self, key: &str) -> AppResult<()>;
}

/// Both, and their upkeep.
#[async_trait]
pub trait ThrottleStore: RateLimitStore + LoginFailureStore {
    /// Drops buckets that have refilled and failure windows that have passed by `now`, so
    /// their rows do not pile up. Returns how many.
    async fn prune_throttles(&self, now: DateTime<Utc>) -> AppResult<u64>;
}
