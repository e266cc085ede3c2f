//! Picks the storage backend from the database URL scheme.

use crate::config::Database;
use anyhow::{Context, bail};
use std::sync::Arc;
use tokio::sync::Notify;
use ventros_app::ports::Store;
use ventros_storage_postgres::{PgStore, grant_app_role, options};
use ventros_storage_sqlite::SqliteStore;

/// An opened store, and the signals it raises after each commit that appended events (the
/// outbox relay waits on it) or armed webhook deliveries (the job runner waits on it).
#[derive(Clone)]
pub struct Storage {
    pub store: Arc<dyn Store>,
    pub outbox_signal: Arc<Notify>,
    pub deliveries_signal: Arc<Notify>,
}

impl From<SqliteStore> for Storage {
    fn from(s: SqliteStore) -> Self {
        Storage {
            outbox_signal: s.outbox_signal(),
            deliveries_signal: s.deliveries_signal(),
            store: Arc::new(s),
        }
    }
}

impl From<PgStore> for Storage {
    fn from(s: PgStore) -> Self {
        Storage {
            outbox_signal: s.outbox_signal(),
            deliveries_signal: s.deliveries_signal(),
            store: Arc::new(s),
        }
    }
}

/// Opens the configured store, applying migrations when `migrate` is set, and refuses to
/// run on an unsafe configuration (SQLite not durable; PostgreSQL role able to bypass RLS).
pub async fn open_store(cfg: &Database, migrate: bool) -> anyhow::Result<Storage> {
    let url = cfg.database_url.trim();
    let scheme = url.split_once(':').map(|(s, _)| s).unwrap_or_default();
    match scheme {
        "sqlite" => {
            let s = SqliteStore::connect(url)
                .await
                .map_err(anyhow::Error::msg)?;
            if migrate {
                s.migrate().await.map_err(anyhow::Error::msg)?;
            }
            s.verify_durability()
                .await
                .map_err(anyhow::Error::msg)
                .context("SQLite durability check")?;
            Ok(s.into())
        }
        "postgres" | "postgresql" => {
            if migrate {
                match &cfg.migration_database_url {
                    Some(owner_url) => {
                        let owner = PgStore::connect(owner_url, 2)
                            .await
                            .map_err(anyhow::Error::msg)?;
                        owner.migrate().await.map_err(anyhow::Error::msg)?;
                        let app_role = options(url)
                            .map_err(anyhow::Error::msg)?
                            .get_username()
                            .to_string();
                        grant_app_role(&owner, &app_role)
                            .await
                            .map_err(anyhow::Error::msg)?;
                        owner.close().await;
                    }
                    None => tracing::warn!(
                        "VENTROS_MIGRATION_DATABASE_URL is not set: assuming the PostgreSQL schema is migrated (run `ventros migrate` with it set)"
                    ),
                }
            }
            let s = PgStore::connect(url, cfg.db_max_connections)
                .await
                .map_err(anyhow::Error::msg)?;
            s.verify_rls_role().await.map_err(anyhow::Error::msg)?;
            match s.autovacuum_enabled().await {
                Ok(true) => {}
                Ok(false) => tracing::warn!(
                    "PostgreSQL runs with autovacuum off: tables get no statistics and queries slow down as they grow; turn it on (see docs/OPERATIONS.md)"
                ),
                Err(e) => tracing::warn!(error = %e, "could not check autovacuum"),
            }
            Ok(s.into())
        }
        other => bail!(
            "unsupported database URL scheme {other:?} in VENTROS_DATABASE_URL: use sqlite://ventros.db?mode=rwc \
             (embedded) or postgres://app_role@host/db (with VENTROS_MIGRATION_DATABASE_URL for migrations)"
        ),
    }
}
