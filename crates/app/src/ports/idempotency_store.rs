use crate::error::AppResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::ids::TenantId;

/// What a stored idempotency key says about a new request carrying it.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyClaim {
    /// First use: the caller runs the request and then records the response.
    Claimed,
    /// Seen with the same request: this is the response to send again.
    Replay { status: u16, body: Vec<u8> },
    /// Seen with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

/// `Idempotency-Key` claims and the responses they replay.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for `actor`, or says what an earlier request with it got. A claim older
    /// than `stale_before` that never finished is taken over (its request died).
    async fn claim_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> AppResult<IdempotencyClaim>;
    /// Stores the response of a claimed key.
    async fn finish_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> AppResult<()>;
    /// Drops a claim whose request failed on the server, so that a retry runs again.
    async fn release_idempotency(&self, tenant: TenantId, actor: &str, key: &str) -> AppResult<()>;
    /// Deletes keys created before `before`; returns how many.
    async fn prune_idempotency(&self, before: DateTime<Utc>) -> AppResult<u64>;
}
