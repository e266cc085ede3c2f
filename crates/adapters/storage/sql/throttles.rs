//! Rate-limit buckets and login failure windows shared by every instance on the database:
//! one row per hashed key, not tenant data (no row-level security), times in microseconds.
//! A bucket is taken with one upsert that applies the domain's GCRA in SQL.

use crate::dialect::DbStore;
use crate::sql::db_err;
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;
use ventros_app::error::AppResult;
use ventros_app::ports::{LoginFailureStore, RateLimitStore, ThrottleStore};
use ventros_domain::rate_limit::Quota;

/// `max(tat, now) + interval`, written without `GREATEST` so both engines read it.
const NEXT_TAT: &str = "(CASE WHEN b.tat_us > $2 THEN b.tat_us ELSE $2 END) + $3";

#[async_trait]
impl RateLimitStore for DbStore {
    async fn take(&self, key: &str, quota: Quota, now: DateTime<Utc>) -> AppResult<Option<i64>> {
        let now = now.timestamp_micros();
        // Allowed: the row is written and returned. Refused: the guard keeps it as it was.
        let taken = sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO rate_limits AS b (key, tat_us) VALUES ($1, $2 + $3) \
             ON CONFLICT (key) DO UPDATE SET tat_us = {NEXT_TAT} \
             WHERE {NEXT_TAT} - $2 <= $4 RETURNING tat_us"
        )))
        .bind(key)
        .bind(now)
        .bind(quota.interval_us())
        .bind(quota.tolerance_us())
        .fetch_optional(self.any_tenant_writes())
        .await
        .map_err(db_err)?;
        if taken.is_some() {
            return Ok(None);
        }
        let tat: Option<i64> = sqlx::query_scalar("SELECT tat_us FROM rate_limits WHERE key = $1")
            .bind(key)
            .fetch_optional(self.any_tenant_reads())
            .await
            .map_err(db_err)?;
        let next = tat.unwrap_or(now).max(now) + quota.interval_us();
        Ok(Some((next - now - quota.tolerance_us()).max(1)))
    }
}

#[async_trait]
impl LoginFailureStore for DbStore {
    async fn login_failures(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> AppResult<Option<(u32, DateTime<Utc>)>> {
        let row = sqlx::query(
            "SELECT failures, window_ends_us FROM login_failures WHERE key = $1 AND window_ends_us > $2",
        )
        .bind(key)
        .bind(now.timestamp_micros())
        .fetch_optional(self.any_tenant_reads())
        .await
        .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let n: i32 = r.try_get("failures").map_err(db_err)?;
        let ends: i64 = r.try_get("window_ends_us").map_err(db_err)?;
        Ok(DateTime::from_timestamp_micros(ends).map(|t| (u32::try_from(n).unwrap_or(0), t)))
    }

    async fn record_login_failure(
        &self,
        key: &str,
        window: Duration,
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        let ends = (now + window).timestamp_micros();
        sqlx::query(
            "INSERT INTO login_failures AS f (key, failures, window_ends_us) VALUES ($1, 1, $3) \
             ON CONFLICT (key) DO UPDATE SET \
             failures = CASE WHEN f.window_ends_us <= $2 THEN 1 ELSE f.failures + 1 END, \
             window_ends_us = CASE WHEN f.window_ends_us <= $2 THEN $3 ELSE f.window_ends_us END",
        )
        .bind(key)
        .bind(now.timestamp_micros())
        .bind(ends)
        .execute(self.any_tenant_writes())
        .await
        .map_err(db_err)?;
        Ok(())
    }

    async fn clear_login_failures(&self, key: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(key)
            .execute(self.any_tenant_writes())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl ThrottleStore for DbStore {
    async fn prune_throttles(&self, now: DateTime<Utc>) -> AppResult<u64> {
        let now = now.timestamp_micros();
        let mut n = 0;
        for table in [
            "DELETE FROM rate_limits WHERE tat_us <= $1",
            "DELETE FROM login_failures WHERE window_ends_us <= $1",
        ] {
            n += sqlx::query(table)
                .bind(now)
                .execute(self.any_tenant_writes())
                .await
                .map_err(db_err)?
                .rows_affected();
        }
        Ok(n)
    }
}
