//! What PostgreSQL does differently from the shared SQL in `crate::sql` (see its module docs).

use crate::PgStore;
use crate::sql::{Query, Ts, Tx, db_err};
use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgArgumentBuffer, PgPool, PgTypeInfo, PgValueRef};
use sqlx::{AssertSqlSafe, Decode, Encode, Postgres, QueryBuilder, Type};
use ventros_app::error::AppResult;
use ventros_domain::ids::TenantId;

pub(crate) use crate::ingest_tx::PgIngestTx as DbIngestTx;
pub(crate) type Db = Postgres;
pub(crate) type DbRow = sqlx::postgres::PgRow;
pub(crate) type DbConn = sqlx::PgConnection;
pub(crate) type DbArgs = sqlx::postgres::PgArguments;
pub(crate) type DbStore = PgStore;

pub(crate) const BACKEND: &str = "postgres";

// Times are TIMESTAMPTZ (microseconds).
impl Type<Postgres> for Ts {
    fn type_info() -> PgTypeInfo {
        <DateTime<Utc> as Type<Postgres>>::type_info()
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <DateTime<Utc> as Type<Postgres>>::compatible(ty)
    }
}

impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        <DateTime<Utc> as Encode<Postgres>>::encode_by_ref(&self.0, buf)
    }
}

impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Ts(<DateTime<Utc> as Decode<Postgres>>::decode(value)?))
    }
}

pub(crate) const LEAST: &str = "LEAST";
pub(crate) const GREATEST: &str = "GREATEST";
pub(crate) const CI_LIKE: &str = "ILIKE";
/// Row lock of a read-modify-write, so concurrent callers wait for each other.
pub(crate) const LOCK_ROW: &str = " FOR UPDATE";

/// Whole seconds from `earlier` to `later` (callers ensure `later >= earlier`).
pub(crate) fn whole_seconds(later: &str, earlier: &str) -> String {
    format!("floor(EXTRACT(EPOCH FROM ({later}) - ({earlier})))::bigint")
}

/// `col` (a JSON array) with the text parameter `param` appended.
pub(crate) fn json_append(col: &str, param: &str) -> String {
    format!("{col} || to_jsonb({param}::text)")
}

/// `AND` the contact carries any of `tags`.
pub(crate) fn push_tags_any(q: &mut QueryBuilder<Db>, tags: &[String]) {
    q.push(" AND jsonb_exists_any(tags, ")
        .push_bind(tags.to_vec())
        .push(")");
}

/// A list of outbox sequence numbers as one parameter (a `bigint[]`).
pub(crate) fn id_list(ids: &[i64]) -> Vec<i64> {
    ids.to_vec()
}

/// The two updates of a touched session (its counters, its chat's last message), as the
/// statements to send: one, a data-modifying CTE, so the hot path pays one round trip.
pub(crate) fn both_updates(first: &str, second: &str) -> [String; 1] {
    [format!("WITH s AS ({first} RETURNING 1) {second}")]
}

/// Statements that span tenants: the `SECURITY DEFINER` functions of the migrations, which
/// the application role may call but not widen (see docs/ARCHITECTURE.md).
pub(crate) mod cross_tenant {
    pub(crate) const LOGIN: &str = "ventros_find_login($1)";
    pub(crate) const API_KEY: &str = "ventros_find_api_key($1)";
    pub(crate) const WEBHOOK_CHANNEL: &str = "ventros_webhook_channel($1)";
    pub(crate) const OUTBOX_BACKLOG: &str = "ventros_outbox_backlog()";
    pub(crate) const CONSUMER_HANDLED: &str =
        "(SELECT ventros_consumer_handled($1, $2) AS handled)";
    pub(crate) const JOB_BACKLOG: &str = "ventros_job_backlog($1)";
    pub(crate) const ENDED_SESSIONS: &str = "ventros_ended_sessions($1, $2)";

    /// `FOR UPDATE SKIP LOCKED` inside the function: relays never take the same row.
    pub(crate) fn claim_outbox(cols: &str) -> String {
        format!("SELECT {cols} FROM ventros_claim_outbox($1, $2, $3)")
    }

    pub(crate) const MARK_PUBLISHED: &str = "SELECT ventros_mark_published($1, $2)";

    /// `FOR UPDATE SKIP LOCKED` inside the function: workers never take the same job.
    pub(crate) fn claim_jobs(cols: &str) -> String {
        format!("SELECT {cols} FROM ventros_claim_jobs($1, $2, $3, $4, $5)")
    }
}

impl PgStore {
    /// A transaction bound to `tenant` in one round trip: `BEGIN` and the transaction-local
    /// `app.tenant_id` that row-level security checks are sent together (the id is a
    /// formatted UUID, never text from a client).
    pub(crate) async fn begin(&self, tenant: TenantId) -> AppResult<Tx> {
        let begin = format!(
            "BEGIN; SELECT set_config('app.tenant_id', '{}', true)",
            tenant.0.hyphenated()
        );
        self.pool
            .begin_with(AssertSqlSafe(begin))
            .await
            .map_err(db_err)
    }

    /// Runs a read in a transaction bound to `tenant` (RLS sees nothing outside one).
    pub(crate) async fn read(
        &self,
        tenant: TenantId,
        q: Query<'_>,
    ) -> AppResult<Vec<sqlx::postgres::PgRow>> {
        let mut tx = self.begin(tenant).await?;
        let rows = q.fetch_all(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        Ok(rows)
    }

    pub(crate) fn any_tenant_reads(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn any_tenant_writes(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn pool_counts(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// PostgreSQL has nothing to fold back: committed is durable. Closes the pool.
    pub(crate) async fn close_for_shutdown(&self) -> AppResult<()> {
        self.pool.close().await;
        Ok(())
    }

    /// Deletes up to `limit` jobs done before `before`; how many.
    pub(crate) async fn prune_done_jobs_batch(
        &self,
        before: DateTime<Utc>,
        limit: i32,
    ) -> AppResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT ventros_prune_done_jobs($1, $2)")
            .bind(Ts(before))
            .bind(limit)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Deletes finished webhook deliveries last changed before `before`, with their
    /// attempts; how many deliveries.
    pub(crate) async fn prune_webhook_log_rows(&self, before: DateTime<Utc>) -> AppResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT ventros_prune_webhook_log($1)")
            .bind(Ts(before))
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Deletes every idempotency key created before `before`; how many.
    pub(crate) async fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> AppResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT ventros_prune_idempotency($1)")
            .bind(Ts(before))
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
