//! The SQL of both stores, written once.
//!
//! This directory is not a crate: each backend includes it as its module `crate::sql`
//! (`#[path = "../../sql/mod.rs"]`) and compiles it against its own `crate::dialect`, so the
//! code below sees concrete sqlx types (`Db` is `Sqlite` or `Postgres`) and needs no generic
//! bounds over `sqlx::Database`. Queries use `$N` placeholders, which both engines accept.
//!
//! What a backend's `dialect` module provides, and nothing else differs:
//! - the types `Db`, `DbRow`, `DbConn`, `DbArgs`, and how [`Ts`] is stored (Unix milliseconds
//!   in an `INTEGER` on SQLite, `TIMESTAMPTZ` on PostgreSQL); JSON columns go through
//!   `sqlx::types::Json` (TEXT or JSONB);
//! - the store type `DbStore` with its transactions: `begin(tenant)` (a write bound to the
//!   tenant: SQLite's one writer, a PostgreSQL transaction with `app.tenant_id` set for RLS),
//!   `read(tenant, query)`, the pools for statements that span tenants, and their counts;
//! - the ingest unit `DbIngestTx` (`conn`, `events_appended`, `finish`: group commit on SQLite,
//!   a plain COMMIT on PostgreSQL) and its one-round-trip counter update;
//! - SQL fragments: `LEAST`/`GREATEST`, `CI_LIKE`, `LOCK_ROW`, `whole_seconds`, `json_append`,
//!   `push_tags_any`, `id_list`;
//! - the statements that work across tenants (`cross_tenant`): plain SQL on SQLite, the
//!   `SECURITY DEFINER` functions on PostgreSQL, taking the same parameters in the same order.

pub(crate) mod access;
pub(crate) mod channels;
pub(crate) mod contacts;
pub(crate) mod conversations;
pub(crate) mod idempotency;
pub(crate) mod ingest;
pub(crate) mod jobs;
pub(crate) mod media;
pub(crate) mod message_groups;
pub(crate) mod metrics;
pub(crate) mod operations;
pub(crate) mod outbox;
pub(crate) mod pipelines;
pub(crate) mod rows;
pub(crate) mod sends;
pub(crate) mod sessions;
pub(crate) mod throttles;
pub(crate) mod webhooks;

use crate::dialect::{BACKEND, Db, DbArgs, DbConn, DbRow, DbStore};
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Transaction};
use std::sync::Arc;
use tokio::sync::Notify;
use uuid::Uuid;
use ventros_app::AppError;
use ventros_app::error::AppResult;
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::TenantId;
use ventros_domain::tenancy::Scope;

/// A point in time as the backend stores it (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ts(pub DateTime<Utc>);

pub(crate) type R<T> = Result<T, sqlx::Error>;
pub(crate) type Query<'q> = sqlx::query::Query<'q, Db, DbArgs>;
pub(crate) type Tx = Transaction<'static, Db>;

pub(crate) fn db_err(e: sqlx::Error) -> AppError {
    match &e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            AppError::Unavailable(e.to_string())
        }
        sqlx::Error::Database(d) if d.is_unique_violation() => taken(),
        _ => AppError::internal_from(format!("{BACKEND} statement failed"), e),
    }
}

/// A unique key the write would repeat.
pub(crate) fn taken() -> AppError {
    AppError::conflict("conflict", "a record with the same unique key exists")
}

/// `SELECT cols FROM table WHERE tenant_id = <tenant>`, for filters to be appended.
pub(crate) fn select(cols: &str, table: &str, tenant: TenantId) -> QueryBuilder<Db> {
    let mut q = QueryBuilder::new(format!("SELECT {cols} FROM {table} WHERE tenant_id = "));
    q.push_bind(tenant.0);
    q
}

/// `SELECT cols FROM table` restricted to the caller's tenant and project.
pub(crate) fn select_in(cols: &str, table: &str, scope: Scope) -> QueryBuilder<Db> {
    let mut q = select(cols, table, scope.tenant_id);
    q.push(" AND project_id = ").push_bind(scope.project_id.0);
    q
}

/// One row by id in the caller's tenant and project.
pub(crate) fn by_id_in(cols: &str, table: &str, scope: Scope, id: Uuid) -> QueryBuilder<Db> {
    let mut q = select_in(cols, table, scope);
    q.push(" AND id = ").push_bind(id);
    q
}

/// Appends keyset pagination on `(sort_col, id)` in either direction (`desc`: newest first),
/// then the order and one row more than the page, to tell whether another page follows.
pub(crate) fn paginate(q: &mut QueryBuilder<Db>, sort_col: &str, desc: bool, page: &PageRequest) {
    let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
    if let Some(c) = page.after {
        let at = DateTime::<Utc>::from_timestamp_micros(c.ts_us).unwrap_or_default();
        q.push(format!(" AND ({sort_col}, id) {cmp} ("))
            .push_bind(Ts(at))
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    q.push(format!(" ORDER BY {sort_col} {dir}, id {dir} LIMIT "))
        .push_bind(i64::from(page.limit) + 1);
}

/// A page of rows read with [`paginate`], each placed by its sort time and id.
pub(crate) fn page_by<T>(
    rows: Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> (DateTime<Utc>, Uuid),
) -> Page<T> {
    Page::from_rows(rows, limit, |r| {
        let (at, id) = key(r);
        Cursor {
            ts_us: at.timestamp_micros(),
            id,
        }
    })
}

/// Appends events to the outbox inside the caller's transaction.
pub(crate) async fn insert_events(
    conn: &mut DbConn,
    events: &[EventEnvelope],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Db>::new(
        "INSERT INTO outbox (id, tenant_id, project_id, event_type, version, occurred_at, source, correlation_id, causation_id, aggregate_type, aggregate_id, payload, created_at) ",
    );
    q.push_values(events, |mut b, e| {
        b.push_bind(e.id.0)
            .push_bind(e.tenant_id.0)
            .push_bind(e.project_id.0)
            .push_bind(e.event_type.clone())
            .push_bind(e.version)
            .push_bind(Ts(e.occurred_at))
            .push_bind(e.source.clone())
            .push_bind(e.correlation_id.clone())
            .push_bind(e.causation_id.clone())
            .push_bind(e.aggregate_type.clone())
            .push_bind(e.aggregate_id)
            .push_bind(Json(e.payload.clone()))
            .push_bind(Ts(now));
    });
    q.build().execute(conn).await.map_err(db_err)?;
    Ok(())
}

/// A write transaction of one tenant. It remembers whether it appended events, and wakes the
/// outbox relay once they are committed.
pub(crate) struct WriteTx {
    tx: Tx,
    signal: Arc<Notify>,
    appended: bool,
}

impl WriteTx {
    pub(crate) fn conn(&mut self) -> &mut DbConn {
        &mut self.tx
    }

    pub(crate) async fn append(
        &mut self,
        events: &[EventEnvelope],
        now: DateTime<Utc>,
    ) -> AppResult<()> {
        insert_events(&mut self.tx, events, now).await?;
        self.appended |= !events.is_empty();
        Ok(())
    }

    pub(crate) async fn commit(self) -> AppResult<()> {
        self.tx.commit().await.map_err(db_err)?;
        if self.appended {
            self.signal.notify_one();
        }
        Ok(())
    }
}

impl DbStore {
    /// Starts a write transaction bound to `tenant`.
    pub(crate) async fn write(&self, tenant: TenantId) -> AppResult<WriteTx> {
        Ok(WriteTx {
            tx: self.begin(tenant).await?,
            signal: self.outbox_signal.clone(),
            appended: false,
        })
    }

    /// Runs one write statement and, when it changed a row, the events, in one transaction;
    /// returns the rows changed.
    pub(crate) async fn write_with_events(
        &self,
        tenant: TenantId,
        q: Query<'_>,
        events: &[EventEnvelope],
        now: DateTime<Utc>,
    ) -> AppResult<u64> {
        let mut tx = self.write(tenant).await?;
        let n = q.execute(tx.conn()).await.map_err(db_err)?.rows_affected();
        if n > 0 {
            tx.append(events, now).await?;
        }
        tx.commit().await?;
        Ok(n)
    }

    /// Reads rows of `tenant` and maps each.
    pub(crate) async fn all<T>(
        &self,
        tenant: TenantId,
        q: Query<'_>,
        map: impl Fn(&DbRow) -> R<T>,
    ) -> AppResult<Vec<T>> {
        self.read(tenant, q)
            .await?
            .iter()
            .map(map)
            .collect::<R<Vec<T>>>()
            .map_err(db_err)
    }

    /// Runs a claim across tenants (`$1` how many, `$2` now, `$3` leased until, then the
    /// `extra` text parameters) on the writer and maps the claimed rows.
    pub(crate) async fn claim<T>(
        &self,
        sql: String,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        extra: &[&str],
        map: impl Fn(&DbRow) -> R<T>,
    ) -> AppResult<Vec<T>> {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(i32::try_from(limit).unwrap_or(i32::MAX))
            .bind(Ts(now))
            .bind(Ts(lease_until));
        for e in extra {
            q = q.bind(*e);
        }
        q.fetch_all(self.any_tenant_writes())
            .await
            .map_err(db_err)?
            .iter()
            .map(map)
            .collect::<R<Vec<T>>>()
            .map_err(db_err)
    }

    /// The first row of a read of `tenant`, mapped.
    pub(crate) async fn one<T>(
        &self,
        tenant: TenantId,
        q: Query<'_>,
        map: impl Fn(&DbRow) -> R<T>,
    ) -> AppResult<Option<T>> {
        Ok(self.all(tenant, q, map).await?.into_iter().next())
    }
}
