//! `Idempotency-Key` claims: one row per (tenant, caller, key) with the request's hash and,
//! once the request finished, its response.

use crate::dialect::{DbStore, LOCK_ROW};
use crate::sql::{Ts, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};
use ventros_app::error::AppResult;
use ventros_app::ports::{IdempotencyClaim, IdempotencyStore};
use ventros_domain::ids::TenantId;

#[async_trait]
impl IdempotencyStore for DbStore {
    async fn claim_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> AppResult<IdempotencyClaim> {
        let mut tx = self.write(tenant).await?;
        let row = sqlx::query(AssertSqlSafe(format!("SELECT request_hash, status, response, created_at FROM idempotency_keys WHERE tenant_id = $1 AND actor = $2 AND key = $3{LOCK_ROW}")))
            .bind(tenant.0)
            .bind(actor)
            .bind(key)
            .fetch_optional(tx.conn())
            .await
            .map_err(db_err)?;
        let claim = match row {
            None => {
                sqlx::query("INSERT INTO idempotency_keys (tenant_id, actor, key, request_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(tenant.0)
                    .bind(actor)
                    .bind(key)
                    .bind(request_hash)
                    .bind(Ts(now))
                    .execute(tx.conn())
                    .await
                    .map_err(db_err)?;
                IdempotencyClaim::Claimed
            }
            Some(r) => {
                let hash: String = r.try_get("request_hash").map_err(db_err)?;
                let status: Option<i32> = r.try_get("status").map_err(db_err)?;
                let created = r.try_get::<Ts, _>("created_at").map_err(db_err)?.0;
                match status {
                    Some(st) if hash == request_hash => IdempotencyClaim::Replay {
                        status: u16::try_from(st).unwrap_or(500),
                        body: r
                            .try_get::<Option<Vec<u8>>, _>("response")
                            .map_err(db_err)?
                            .unwrap_or_default(),
                    },
                    None if created < stale_before => {
                        sqlx::query("UPDATE idempotency_keys SET request_hash = $1, created_at = $2 WHERE tenant_id = $3 AND actor = $4 AND key = $5")
                            .bind(request_hash)
                            .bind(Ts(now))
                            .bind(tenant.0)
                            .bind(actor)
                            .bind(key)
                            .execute(tx.conn())
                            .await
                            .map_err(db_err)?;
                        IdempotencyClaim::Claimed
                    }
                    _ if hash != request_hash => IdempotencyClaim::Mismatch,
                    _ => IdempotencyClaim::InProgress,
                }
            }
        };
        tx.commit().await?;
        Ok(claim)
    }

    async fn finish_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> AppResult<()> {
        let q = sqlx::query("UPDATE idempotency_keys SET status = $1, response = $2 WHERE tenant_id = $3 AND actor = $4 AND key = $5")
            .bind(i32::from(status))
            .bind(body)
            .bind(tenant.0)
            .bind(actor)
            .bind(key);
        self.write_with_events(tenant, q, &[], Utc::now()).await?;
        Ok(())
    }

    async fn release_idempotency(&self, tenant: TenantId, actor: &str, key: &str) -> AppResult<()> {
        let q = sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = $1 AND actor = $2 AND key = $3 AND status IS NULL")
            .bind(tenant.0)
            .bind(actor)
            .bind(key);
        self.write_with_events(tenant, q, &[], Utc::now()).await?;
        Ok(())
    }

    async fn prune_idempotency(&self, before: DateTime<Utc>) -> AppResult<u64> {
        self.prune_idempotency_keys(before).await
    }
}
