//! Rate-limit buckets and login failure windows in Redis (`VENTROS_REDIS_URL` with
//! `VENTROS_RATE_LIMIT_STORE=redis`, or by default when Redis is configured), shared by
//! every instance that uses the same server. A bucket is the domain's GCRA as one Lua script
//! (atomic on the server); a failure window is a small hash that expires with its window, so
//! nothing needs pruning. Times are the caller's clock, as with the database store.

use crate::connection::Connection;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use ventros_app::error::AppResult;
use ventros_app::ports::{LoginFailureStore, RateLimitStore, ThrottleStore};
use ventros_domain::rate_limit::Quota;

/// KEYS[1] the bucket; ARGV now, interval and tolerance in microseconds. 0 when allowed,
/// else the microseconds to wait. Microsecond times fit Lua's doubles exactly (< 2^53).
const TAKE: &str = r"
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local next = tat + interval
if next - now <= tolerance then
  redis.call('SET', KEYS[1], string.format('%d', next), 'PX', math.floor((next - now) / 1000) + 1)
  return 0
end
return next - now - tolerance
";

/// KEYS[1] the account's window, a hash of its failures `n` and its end `ends` (µs); ARGV
/// now and a new window's end in microseconds, and the window's length in milliseconds for
/// the expiry (relative, so a caller's clock that is off does not drop the window early).
/// A failure after the end opens a new window.
const FAIL: &str = r"
local ends = tonumber(redis.call('HGET', KEYS[1], 'ends') or '0')
if ends <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'n', 1, 'ends', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
else
  redis.call('HINCRBY', KEYS[1], 'n', 1)
end
return 1
";

pub struct RedisThrottles {
    conn: Connection,
    prefix: String,
    take: redis::Script,
    fail: redis::Script,
}

impl RedisThrottles {
    /// Keys are `<prefix>rate:<key>` and `<prefix>login:<key>`.
    pub fn new(url: &str, prefix: &str) -> AppResult<Self> {
        Ok(RedisThrottles {
            conn: Connection::open(url)?,
            prefix: prefix.to_string(),
            take: redis::Script::new(TAKE),
            fail: redis::Script::new(FAIL),
        })
    }

    fn bucket(&self, key: &str) -> String {
        format!("{}rate:{key}", self.prefix)
    }

    fn window(&self, key: &str) -> String {
        format!("{}login:{key}", self.prefix)
    }
}

#[async_trait]
impl RateLimitStore for RedisThrottles {
    async fn take(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> AppResult<Option<i64>> {
        let mut inv = self.take.key(self.bucket(key));
        inv.arg(now.timestamp_micros())
            .arg(quota.interval_us())
            .arg(quota.tolerance_us());
        let wait: i64 = self
            .conn
            .run(|mut c| async move { inv.invoke_async(&mut c).await })
            .await?;
        Ok((wait > 0).then_some(wait))
    }
}

#[async_trait]
impl LoginFailureStore for RedisThrottles {
    async fn login_failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Option<(u32, DateTime<Utc>)>> {
        let k = self.window(key);
        let (n, ends): (Option<i64>, Option<i64>) = self
            .conn
            .run(|mut c| async move {
                redis::cmd("HMGET")
                    .arg(k)
                    .arg("n")
                    .arg("ends")
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(match (n, ends.and_then(DateTime::from_timestamp_micros)) {
            (Some(n), Some(ends)) if ends > now => {
                Some((u32::try_from(n).unwrap_or(u32::MAX), ends))
            }
            _ => None,
        })
    }

    async fn record_login_failure(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let ends = now + window;
        let mut inv = self.fail.key(self.window(key));
        inv.arg(now.timestamp_micros())
            .arg(ends.timestamp_micros())
            .arg(window.num_milliseconds().max(1));
        let _: i64 = self
            .conn
            .run(|mut c| async move { inv.invoke_async(&mut c).await })
            .await?;
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> AppResult<()> {
        let k = self.window(key);
        let _: i64 = self
            .conn
            .run(|mut c| async move { redis::cmd("DEL").arg(k).query_async(&mut c).await })
            .await?;
        Ok(())
    }
}

#[async_trait]
impl ThrottleStore for RedisThrottles {
    async fn prune_throttles(&self, _now: DateTime<Utc>) -> AppResult<u64> {
        // Every key expires on its own.
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_throttles_follow_the_rules() {
        let Some(url) = ventros_testkit::redis_url("redis throttles") else {
            return;
        };
        let prefix = format!("test.{}.", uuid::Uuid::now_v7().simple());
        let t = RedisThrottles::new(&url, &prefix).unwrap();
        ventros_storage_conformance::cases_throttles::throttle_rules(&t, "").await;
        // Keys expire by themselves: nothing of them is left for long.
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let ttl: i64 = redis::cmd("PTTL")
            .arg(format!("{prefix}rate:b"))
            .query_async(&mut c)
            .await
            .unwrap();
        assert!(
            (1..=1_100).contains(&ttl),
            "a bucket lives until it refills: {ttl}"
        );
    }
}
