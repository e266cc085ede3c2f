//! What SQLite does differently from the shared SQL in `crate::sql` (see its module docs).

use crate::SqliteStore;
use crate::sql::{Query, Ts, Tx, db_err};
use chrono::{DateTime, Utc};
use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArgumentsBuffer, SqlitePool, SqliteTypeInfo, SqliteValueRef};
use sqlx::types::Json;
use sqlx::{Decode, Encode, QueryBuilder, Sqlite, Type};
use ventros_app::error::AppResult;
use ventros_domain::ids::TenantId;

pub(crate) use crate::group_commit::SqliteIngestTx as DbIngestTx;
pub(crate) type Db = Sqlite;
pub(crate) type DbRow = sqlx::sqlite::SqliteRow;
pub(crate) type DbConn = sqlx::SqliteConnection;
pub(crate) type DbArgs = sqlx::sqlite::SqliteArguments;
pub(crate) type DbStore = SqliteStore;

pub(crate) const BACKEND: &str = "sqlite";

// Times are Unix milliseconds in INTEGER columns.
impl Type<Sqlite> for Ts {
    fn type_info() -> SqliteTypeInfo {
        <i64 as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <i64 as Type<Sqlite>>::compatible(ty)
    }
}

impl Encode<'_, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut SqliteArgumentsBuffer) -> Result<IsNull, BoxDynError> {
        <i64 as Encode<Sqlite>>::encode(self.0.timestamp_millis(), buf)
    }
}

impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        let ms = <i64 as Decode<Sqlite>>::decode(value)?;
        DateTime::<Utc>::from_timestamp_millis(ms)
            .map(Ts)
            .ok_or_else(|| format!("{ms} ms is out of range for a time").into())
    }
}

/// The smaller and greater of two values (SQLite's scalar `MIN`/`MAX`).
pub(crate) const LEAST: &str = "MIN";
pub(crate) const GREATEST: &str = "MAX";
/// Case-insensitive `LIKE` (SQLite's `LIKE` already ignores ASCII case).
pub(crate) const CI_LIKE: &str = "LIKE";
/// Row lock of a read-modify-write; SQLite's one writer already serialises it.
pub(crate) const LOCK_ROW: &str = "";

/// Whole seconds from `earlier` to `later` (both millisecond columns; callers ensure
/// `later >= earlier`, so truncation is the floor).
pub(crate) fn whole_seconds(later: &str, earlier: &str) -> String {
    format!("(({later}) - ({earlier})) / 1000")
}

/// `col` (a JSON array) with the text parameter `param` appended.
pub(crate) fn json_append(col: &str, param: &str) -> String {
    format!("json_insert({col}, '$[#]', {param})")
}

/// `AND` the contact carries any of `tags`.
pub(crate) fn push_tags_any(q: &mut QueryBuilder<Db>, tags: &[String]) {
    q.push(" AND EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE value IN (SELECT value FROM json_each(")
        .push_bind(Json(tags.to_vec()))
        .push(")))");
}

/// The two updates of a touched session (its counters, its chat's last message), as the
/// statements to send: two on SQLite, where a statement costs no round trip.
pub(crate) fn both_updates(first: &str, second: &str) -> [String; 2] {
    [first.to_string(), second.to_string()]
}

/// A list of outbox sequence numbers as one parameter (`json_each` reads it).
pub(crate) fn id_list(ids: &[i64]) -> Json<Vec<i64>> {
    Json(ids.to_vec())
}

/// Statements that span tenants. SQLite has no row-level security, so they are plain SQL;
/// each takes the parameters of its PostgreSQL counterpart in the same order.
pub(crate) mod cross_tenant {
    /// `$1` email.
    pub(crate) const LOGIN: &str = "(SELECT * FROM users WHERE email = $1)";
    /// `$1` key hash.
    pub(crate) const API_KEY: &str =
        "(SELECT * FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL)";
    /// `$1` channel id.
    pub(crate) const WEBHOOK_CHANNEL: &str =
        "(SELECT * FROM channels WHERE id = $1 AND deleted_at IS NULL)";
    pub(crate) const OUTBOX_BACKLOG: &str =
        "(SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE published_at IS NULL)";
    /// `$1` consumer, `$2` event id.
    pub(crate) const CONSUMER_HANDLED: &str = "(SELECT EXISTS (SELECT 1 FROM processed_events WHERE consumer = $1 AND event_id = $2) AS handled)";
    /// `$1` now.
    pub(crate) const JOB_BACKLOG: &str =
        "(SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND run_at <= $1) AS due,
        (SELECT MIN(run_at) FROM jobs WHERE status = 'pending' AND run_at <= $1) AS oldest,
        (SELECT COUNT(*) FROM jobs WHERE status = 'dead') AS dead)";
    /// `$1` after this session id (or NULL), `$2` limit.
    pub(crate) const ENDED_SESSIONS: &str = "(SELECT id, tenant_id, project_id FROM sessions WHERE status = 'ended' AND ($1 IS NULL OR id > $1) ORDER BY id LIMIT $2)";

    /// `$1` limit, `$2` now, `$3` lease until: one short write on the one writer, nothing
    /// held while publishing.
    pub(crate) fn claim_outbox(cols: &str) -> String {
        format!(
            "UPDATE outbox SET lease_until = $3, attempts = attempts + 1 WHERE seq IN (
                SELECT seq FROM outbox WHERE published_at IS NULL AND (lease_until IS NULL OR lease_until <= $2)
                ORDER BY seq LIMIT $1) RETURNING {cols}"
        )
    }

    /// `$1` sequence numbers, `$2` now.
    pub(crate) const MARK_PUBLISHED: &str = "UPDATE outbox SET published_at = $2, lease_until = NULL WHERE seq IN (SELECT value FROM json_each($1))";

    /// `$1` limit, `$2` now, `$3` lease until, `$4` `all`/`only`/`except` the kinds in `$5`
    /// (a JSON array).
    pub(crate) fn claim_jobs(cols: &str) -> String {
        format!(
            "UPDATE jobs SET locked_until = $3, attempts = attempts + 1, updated_at = $2 WHERE id IN (
                SELECT id FROM jobs WHERE status = 'pending' AND run_at <= $2
                  AND (locked_until IS NULL OR locked_until <= $2)
                  AND ($4 = 'all' OR ($4 = 'only') = (kind IN (SELECT value FROM json_each($5))))
                ORDER BY run_at LIMIT $1) RETURNING {cols}"
        )
    }
}

impl SqliteStore {
    /// A write transaction on the one writer connection (tenants are kept apart by every
    /// statement's `tenant_id`).
    pub(crate) async fn begin(&self, _tenant: TenantId) -> AppResult<Tx> {
        self.write.begin().await.map_err(db_err)
    }

    /// Runs a read on the reader pool.
    pub(crate) async fn read(&self, _tenant: TenantId, q: Query<'_>) -> AppResult<Vec<DbRow>> {
        q.fetch_all(&self.read).await.map_err(db_err)
    }

    pub(crate) fn any_tenant_reads(&self) -> &SqlitePool {
        &self.read
    }

    pub(crate) fn any_tenant_writes(&self) -> &SqlitePool {
        &self.write
    }

    /// Connections open and idle, over the writer and the readers.
    pub(crate) fn pool_counts(&self) -> (u32, usize) {
        (
            self.write.size() + self.read.size(),
            self.write.num_idle() + self.read.num_idle(),
        )
    }

    /// Closes the readers, folds the write-ahead log into the database file and empties it
    /// (`wal_checkpoint(TRUNCATE)`), then closes the writer: the `.db` file alone is the
    /// whole database.
    pub(crate) async fn close_for_shutdown(&self) -> AppResult<()> {
        self.read.close().await;
        let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.write)
            .await
            .map_err(db_err)?;
        self.write.close().await;
        if busy != 0 {
            return Err(ventros_app::AppError::Unavailable(
                "another connection kept the write-ahead log busy; it is folded in at the next start".into(),
            ));
        }
        Ok(())
    }

    /// Deletes up to `limit` jobs done before `before`; how many.
    pub(crate) async fn prune_done_jobs_batch(
        &self,
        before: DateTime<Utc>,
        limit: i32,
    ) -> AppResult<u64> {
        Ok(sqlx::query("DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 'done' AND updated_at < $1 LIMIT $2)")
            .bind(Ts(before))
            .bind(limit)
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected())
    }

    /// Deletes finished webhook deliveries last changed before `before`, with their
    /// attempts; how many deliveries.
    pub(crate) async fn prune_webhook_log_rows(&self, before: DateTime<Utc>) -> AppResult<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query("DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1)")
            .bind(Ts(before))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let n = sqlx::query(
            "DELETE FROM webhook_deliveries WHERE status <> 'pending' AND updated_at < $1",
        )
        .bind(Ts(before))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?
        .rows_affected();
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    /// Deletes every idempotency key created before `before`; how many.
    pub(crate) async fn prune_idempotency_keys(&self, before: DateTime<Utc>) -> AppResult<u64> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < $1")
                .bind(Ts(before))
                .execute(&self.write)
                .await
                .map_err(db_err)?
                .rows_affected(),
        )
    }
}
