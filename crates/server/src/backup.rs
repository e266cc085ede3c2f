//! `ventros backup` and `ventros restore`: SQLite files only; PostgreSQL has `pg_dump`
//! (docs/OPERATIONS.md).

use crate::config::Database;
use anyhow::bail;
use std::path::Path;
use ventros_storage_sqlite::{Restored, SqliteStore};

fn sqlite_only(db: &Database, what: &str) -> anyhow::Result<()> {
    if !db.database_url.trim().starts_with("sqlite:") {
        bail!(
            "`ventros {what}` works on the embedded SQLite database; for PostgreSQL use pg_dump and pg_restore (see docs/OPERATIONS.md)"
        );
    }
    Ok(())
}

/// A consistent copy of the (possibly running) database in a new file.
pub async fn backup(db: &Database, to: &Path) -> anyhow::Result<()> {
    sqlite_only(db, "backup")?;
    let store = SqliteStore::connect(&db.database_url)
        .await
        .map_err(anyhow::Error::msg)?;
    let done = store.backup_to(to).await.map_err(anyhow::Error::msg);
    store.close().await;
    done
}

/// Puts a checked backup in place of the (stopped) database.
pub async fn restore(db: &Database, from: &Path) -> anyhow::Result<Restored> {
    sqlite_only(db, "restore")?;
    ventros_storage_sqlite::restore(from, &db.database_url)
        .await
        .map_err(anyhow::Error::msg)
}
