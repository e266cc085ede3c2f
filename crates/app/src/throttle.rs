//! Rate limits and login throttling over a [`ThrottleStore`]: in memory for one process, or
//! in the database or Redis so that every `ventros serve` shares them. The rule itself is the
//! domain's GCRA ([`ventros_domain::rate_limit`]); keys are hashed before they reach a store.

use crate::error::{AppError, AppResult};
use crate::ports::{LoginFailureStore, RateLimitStore, ThrottleStore};
use crate::usecases::media_download::sha256_hex;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use ventros_domain::rate_limit::{Quota, Take, take, wait_secs};

/// What a store keys a bucket or a failure window by: the kind of limit and a digest of what
/// it counts (a caller's id, an address, an email), never the thing itself.
pub fn throttle_key(kind: &str, key: &str) -> String {
    format!("{kind}:{}", sha256_hex(key.as_bytes()))
}

fn limited(wait_us: i64) -> AppError {
    AppError::RateLimited {
        retry_after_secs: wait_secs(wait_us),
    }
}

/// One kind of limit: every key of it gets a bucket of `quota`.
#[derive(Clone)]
pub struct Limiter {
    store: Arc<dyn RateLimitStore>,
    kind: &'static str,
    quota: Quota,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("kind", &self.kind)
            .field("quota", &self.quota)
            .finish_non_exhaustive()
    }
}

impl Limiter {
    pub fn new(store: Arc<dyn RateLimitStore>, kind: &'static str, quota: Quota) -> Self {
        Limiter { store, kind, quota }
    }

    pub fn per_minute(&self) -> u32 {
        self.quota.per_minute()
    }

    /// `Ok`, or `RateLimited` with the whole seconds to wait; a store that fails is an
    /// `Unavailable` or internal error (the caller decides whether to let the request by).
    pub async fn check(&self, key: &str, now: DateTime<Utc>) -> AppResult<()> {
        match self
            .store
            .take(&throttle_key(self.kind, key), self.quota, now)
            .await?
        {
            None => Ok(()),
            Some(wait_us) => Err(limited(wait_us)),
        }
    }
}

/// Per account: after `max_failures` failed logins within `window` (from the first), further
/// attempts are refused until the window has passed.
pub struct LoginThrottle {
    store: Arc<dyn LoginFailureStore>,
    max_failures: u32,
    window: Duration,
}

impl std::fmt::Debug for LoginThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginThrottle")
            .field("max_failures", &self.max_failures)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

const ACCOUNT: &str = "login-account";

impl LoginThrottle {
    pub fn new(store: Arc<dyn LoginFailureStore>, max_failures: u32, window: Duration) -> Self {
        LoginThrottle {
            store,
            max_failures: max_failures.max(1),
            window,
        }
    }

    /// Refuses with `RateLimited` while the account is locked.
    pub async fn check(&self, account: &str, now: DateTime<Utc>) -> AppResult<()> {
        let key = throttle_key(ACCOUNT, account);
        match self.store.login_failures(&key, now).await? {
            Some((n, until)) if n >= self.max_failures && until > now => Err(limited(
                (until - now).num_microseconds().unwrap_or(i64::MAX),
            )),
            _ => Ok(()),
        }
    }

    pub async fn failed(&self, account: &str, now: DateTime<Utc>) -> AppResult<()> {
        let key = throttle_key(ACCOUNT, account);
        self.store
            .record_login_failure(&key, self.window, now)
            .await
    }

    pub async fn succeeded(&self, account: &str) -> AppResult<()> {
        self.store
            .clear_login_failures(&throttle_key(ACCOUNT, account))
            .await
    }
}

/// Keys tracked in memory before the spent ones are swept.
const MAX_TRACKED: usize = 100_000;

/// Buckets and failure windows in this process only: the default on SQLite, where one
/// process serves.
#[derive(Debug, Default)]
pub struct MemoryThrottles {
    buckets: Mutex<HashMap<String, i64>>,
    /// Failures and when their window ends.
    failures: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

fn poisoned() -> AppError {
    AppError::internal("throttle lock poisoned")
}

#[async_trait]
impl RateLimitStore for MemoryThrottles {
    async fn take(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> AppResult<Option<i64>> {
        let now = now.timestamp_micros();
        let mut b = self.buckets.lock().map_err(|_| poisoned())?;
        if b.len() >= MAX_TRACKED {
            b.retain(|_, tat| *tat > now);
        }
        Ok(match take(b.get(key).copied(), now, quota) {
            Take::Allowed { tat_us } => {
                b.insert(key.to_string(), tat_us);
                None
            }
            Take::Wait { wait_us } => Some(wait_us),
        })
    }
}

#[async_trait]
impl LoginFailureStore for MemoryThrottles {
    async fn login_failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Option<(u32, DateTime<Utc>)>> {
        let f = self.failures.lock().map_err(|_| poisoned())?;
        Ok(f.get(key).copied().filter(|(_, until)| *until > now))
    }

    async fn record_login_failure(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let mut f = self.failures.lock().map_err(|_| poisoned())?;
        if f.len() >= MAX_TRACKED {
            f.retain(|_, (_, until)| *until > now);
        }
        let e = f.entry(key.to_string()).or_insert((0, now));
        if e.1 <= now {
            *e = (0, now + window);
        }
        e.0 += 1;
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> AppResult<()> {
        self.failures.lock().map_err(|_| poisoned())?.remove(key);
        Ok(())
    }
}

#[async_trait]
impl ThrottleStore for MemoryThrottles {
    async fn prune_throttles(&self, now: DateTime<Utc>) -> AppResult<u64> {
        let (mut b, mut f) = (
            self.buckets.lock().map_err(|_| poisoned())?,
            self.failures.lock().map_err(|_| poisoned())?,
        );
        let before = b.len() + f.len();
        let now_us = now.timestamp_micros();
        b.retain(|_, tat| *tat > now_us);
        f.retain(|_, (_, until)| *until > now);
        Ok(u64::try_from(before - b.len() - f.len()).unwrap_or(0))
    }
}
