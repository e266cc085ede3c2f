//! Login throttling per account: after `max_failures` failed logins within `window`, further
//! attempts are refused until the window has passed. Kept in memory (per process).

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::sync::Mutex;

const MAX_TRACKED: usize = 100_000;

#[derive(Debug)]
pub struct LoginThrottle {
    max_failures: u32,
    window: Duration,
    state: Mutex<HashMap<String, (u32, DateTime<Utc>)>>,
}

impl LoginThrottle {
    pub fn new(max_failures: u32, window: Duration) -> Self {
        LoginThrottle {
            max_failures: max_failures.max(1),
            window,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses with `RateLimited` while the account is locked.
    pub fn check(&self, account: &str, now: DateTime<Utc>) -> AppResult<()> {
        let map = self.state.lock().map_err(|_| poisoned())?;
        if let Some((n, since)) = map.get(account)
            && *n >= self.max_failures
        {
            let until = *since + self.window;
            if until > now {
                let secs = (until - now).num_seconds().max(1);
                return Err(AppError::RateLimited {
                    retry_after_secs: u64::try_from(secs).unwrap_or(1),
                });
            }
        }
        Ok(())
    }

    pub fn failed(&self, account: &str, now: DateTime<Utc>) -> AppResult<()> {
        let mut map = self.state.lock().map_err(|_| poisoned())?;
        if map.len() >= MAX_TRACKED {
            let window = self.window;
            map.retain(|_, (_, since)| *since + window > now);
        }
        let e = map.entry(account.to_string()).or_insert((0, now));
        if e.1 + self.window <= now {
            *e = (0, now);
        }
        e.0 += 1;
        Ok(())
    }

    pub fn succeeded(&self, account: &str) -> AppResult<()> {
        self.state.lock().map_err(|_| poisoned())?.remove(account);
        Ok(())
    }
}

fn poisoned() -> AppError {
    AppError::internal("login throttle lock poisoned")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_after_failures_and_unlocks_after_window() {
        let t = LoginThrottle::new(3, Duration::minutes(15));
        let now = Utc::now();
        for _ in 0..3 {
            assert!(t.check("a@x.io", now).is_ok());
            assert!(t.failed("a@x.io", now).is_ok());
        }
        assert!(matches!(
            t.check("a@x.io", now),
            Err(AppError::RateLimited {
                retry_after_secs: 900
            })
        ));
        assert!(t.check("b@x.io", now).is_ok());
        assert!(t.check("a@x.io", now + Duration::minutes(16)).is_ok());
        assert!(t.succeeded("a@x.io").is_ok());
    }
}
