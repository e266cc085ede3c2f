//! Backups of a running SQLite database (`VACUUM INTO`, a consistent copy), and restores that
//! check a copy before it replaces the database.
//!
//! Every process that opens the database holds a shared lock on `<file>.lock` for as long as
//! it runs; a restore takes it exclusively, so it never swaps a file under a running Ventros.

use crate::{MIGRATIONS_TABLE, SqliteStore};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, Row};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The database file a `sqlite://` URL names.
pub fn database_file(url: &str) -> Result<PathBuf, String> {
    let opts = SqliteConnectOptions::from_str(url)
        .map_err(|e| format!("invalid SQLite URL {url:?}: {e}"))?;
    Ok(opts.get_filename().to_path_buf())
}

fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}

fn open_lock(db: &Path) -> Result<File, String> {
    let path = lock_path(db);
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open the lock file {}: {e}", path.display()))
}

/// The shared lock a process holds while it has the database open.
pub(crate) fn hold_shared(db: &Path) -> Result<File, String> {
    let f = open_lock(db)?;
    f.lock_shared()
        .map_err(|e| format!("cannot lock {}: {e}", lock_path(db).display()))?;
    Ok(f)
}

/// What a restore put in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    pub database: PathBuf,
    /// The newest migration the copy had; a server migrates the rest at start.
    pub migration: i64,
}

impl SqliteStore {
    /// Writes a consistent copy of the database, as of one moment, to `to` (which must not
    /// exist), while the database stays in use.
    pub async fn backup_to(&self, to: &Path) -> Result<(), String> {
        if to.exists() {
            return Err(format!("{} exists; back up to a new file", to.display()));
        }
        let target = to
            .to_str()
            .ok_or_else(|| format!("{} is not a UTF-8 path", to.display()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(&self.read)
            .await
            .map_err(|e| format!("backup to {} failed: {e}", to.display()))?;
        Ok(())
    }
}

/// Replaces the database of `url` with the backup `from`: only when `from` passes SQLite's
/// integrity check, is a Ventros database whose migrations this build knows, and nothing has
/// the database open.
pub async fn restore(from: &Path, url: &str) -> Result<Restored, String> {
    let migration = check_backup(from).await?;
    let db = database_file(url)?;
    let lock = open_lock(&db)?;
    if lock.try_lock().is_err() {
        return Err(format!(
            "{} is open by a running Ventros (or another command); stop it first",
            db.display()
        ));
    }
    let mut staged = db.as_os_str().to_owned();
    staged.push(".restoring");
    let staged = PathBuf::from(staged);
    std::fs::copy(from, &staged).map_err(|e| format!("cannot copy {}: {e}", from.display()))?;
    File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("cannot flush {}: {e}", staged.display()))?;
    // The old database's write-ahead log must not be replayed into the restored file.
    for ext in ["-wal", "-shm"] {
        let mut p = db.as_os_str().to_owned();
        p.push(ext);
        let p = PathBuf::from(p);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| format!("cannot remove {}: {e}", p.display()))?;
        }
    }
    std::fs::rename(&staged, &db).map_err(|e| format!("cannot replace {}: {e}", db.display()))?;
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| format!("cannot flush {}: {e}", dir.display()))?;
    }
    drop(lock);
    Ok(Restored {
        database: db,
        migration,
    })
}

/// The newest migration of a sound Ventros backup, or why it is not one.
async fn check_backup(from: &Path) -> Result<i64, String> {
    if !from.is_file() {
        return Err(format!("{} is not a file", from.display()));
    }
    let opts = SqliteConnectOptions::new()
        .filename(from)
        .read_only(true)
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(|e| format!("cannot open {}: {e}", from.display()))?;
    let checked = check_with(&pool, from).await;
    pool.close().await;
    checked
}

async fn check_with(pool: &sqlx::SqlitePool, from: &Path) -> Result<i64, String> {
    let integrity: String = sqlx::query("PRAGMA integrity_check")
        .fetch_one(pool)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(|e| format!("{} is not a readable SQLite database: {e}", from.display()))?;
    if integrity != "ok" {
        return Err(format!(
            "{} fails SQLite's integrity check: {integrity}",
            from.display()
        ));
    }
    let applied: Vec<(i64, Vec<u8>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT version, checksum FROM {MIGRATIONS_TABLE} WHERE success ORDER BY version"
    )))
    .fetch_all(pool)
    .await
    .map_err(|_| {
        format!(
            "{} is not a Ventros database (no migrations)",
            from.display()
        )
    })?;
    let known = crate::migrator();
    for (version, checksum) in &applied {
        match known.iter().find(|m| m.version == *version) {
            Some(m) if m.checksum.as_ref() == checksum.as_slice() => {}
            Some(_) => {
                return Err(format!(
                    "{}: migration {version} differs from this build's",
                    from.display()
                ));
            }
            None => {
                return Err(format!(
                    "{} was written by a newer Ventros (migration {version}); restore it with that version",
                    from.display()
                ));
            }
        }
    }
    applied
        .last()
        .map(|(v, _)| *v)
        .ok_or_else(|| format!("{} has no migrations applied", from.display()))
}
