//! SQLite storage: WAL, `synchronous=FULL`, one writer connection, readers beside it.
//!
//! The queries are the shared ones of `crate::sql`; `dialect` says what SQLite does
//! differently, and `group_commit` batches ingest transactions on the one writer.

mod backup;
mod dialect;
mod group_commit;
#[path = "../../sql/mod.rs"]
mod sql;

use sqlx::Row;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, Notify};

pub use backup::{Restored, database_file, restore};

pub const MIGRATIONS_TABLE: &str = "ventros_migrations";

/// This build's migrations, recorded in `ventros_migrations`.
pub(crate) fn migrator() -> sqlx::migrate::Migrator {
    let mut m = sqlx::migrate!("./migrations");
    m.dangerous_set_table_name(MIGRATIONS_TABLE);
    m
}

/// The SQLite store. Writes go through a single connection (SQLite has one writer anyway,
/// and queueing in-process avoids `SQLITE_BUSY`); reads use a small pool.
#[derive(Clone)]
pub struct SqliteStore {
    write: SqlitePool,
    read: SqlitePool,
    /// The open ingest batch (see `group_commit`).
    batch: Arc<Mutex<group_commit::Batch>>,
    /// Notified after every commit that appended events.
    outbox_signal: Arc<Notify>,
    /// Notified after every commit that armed webhook deliveries.
    deliveries_signal: Arc<Notify>,
    /// Held (shared) while the database is open, so a restore never swaps it under us.
    _lock: Arc<std::fs::File>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path?mode=rwc`).
    pub async fn connect(url: &str) -> Result<Self, String> {
        let lock = backup::hold_shared(&backup::database_file(url)?)?;
        let opts = SqliteConnectOptions::from_str(url)
            .map_err(|e| format!("invalid SQLite URL {url:?}: {e}"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts.clone())
            .await
            .map_err(|e| format!("cannot open SQLite database {url:?}: {e}"))?;
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(|e| format!("cannot open SQLite database {url:?}: {e}"))?;
        let outbox_signal = Arc::new(Notify::new());
        Ok(SqliteStore {
            write,
            read,
            batch: Arc::new(Mutex::new(group_commit::Batch::new(outbox_signal.clone()))),
            outbox_signal,
            deliveries_signal: Arc::new(Notify::new()),
            _lock: Arc::new(lock),
        })
    }

    /// Applies the embedded migrations (idempotent).
    pub async fn migrate(&self) -> Result<(), String> {
        migrator()
            .run(&self.write)
            .await
            .map_err(|e| format!("SQLite migration failed: {e}"))
    }

    /// Refuses to run unless every connection is WAL with `synchronous=FULL`.
    pub async fn verify_durability(&self) -> Result<(), String> {
        for pool in [&self.write, &self.read] {
            let sync: i64 = sqlx::query("PRAGMA synchronous")
                .fetch_one(pool)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(|e| e.to_string())?;
            if sync != 2 {
                return Err(format!("PRAGMA synchronous is {sync}, expected 2 (FULL)"));
            }
            let mode: String = sqlx::query("PRAGMA journal_mode")
                .fetch_one(pool)
                .await
                .and_then(|r| r.try_get(0))
                .map_err(|e| e.to_string())?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(format!("journal_mode is {mode}, expected wal"));
            }
        }
        Ok(())
    }

    /// `PRAGMA integrity_check`: `ok` when the file is sound.
    pub async fn integrity_check(&self) -> Result<String, String> {
        sqlx::query("PRAGMA integrity_check")
            .fetch_one(&self.write)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(|e| e.to_string())
    }

    /// Notified after each commit that appended events, so the outbox relay publishes them
    /// without waiting for its poll.
    pub fn outbox_signal(&self) -> Arc<Notify> {
        self.outbox_signal.clone()
    }

    /// Notified after each commit that armed webhook deliveries, so the job runner posts them
    /// without waiting for its poll.
    pub fn deliveries_signal(&self) -> Arc<Notify> {
        self.deliveries_signal.clone()
    }

    /// The writer pool (one connection), for tools that compare bare SQL with the store.
    pub fn write_pool(&self) -> &SqlitePool {
        &self.write
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}
