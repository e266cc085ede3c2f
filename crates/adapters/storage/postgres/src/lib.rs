//! PostgreSQL storage with row-level security per tenant.
//!
//! Migrations run as the owner role; the application connects as a separate role that owns
//! nothing and cannot bypass RLS (checked at start). Every transaction that touches tenant
//! rows first runs `set_config('app.tenant_id', …, true)`.
//!
//! The queries are the shared ones of `crate::sql`; `dialect` says what PostgreSQL does
//! differently (RLS-bound transactions, the `SECURITY DEFINER` functions that span tenants).

mod dialect;
mod ingest_tx;
mod provision;
#[path = "../../sql/mod.rs"]
mod sql;

pub use provision::{TEST_APP_ROLE, TestDatabase, grant_app_role, provision_test_database};

use sqlx::Row;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

pub const MIGRATIONS_TABLE: &str = "ventros_migrations";

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Notified after every commit that appended events.
    outbox_signal: Arc<Notify>,
    /// Notified after every commit that armed webhook deliveries.
    deliveries_signal: Arc<Notify>,
}

pub fn options(url: &str) -> Result<PgConnectOptions, String> {
    PgConnectOptions::from_str(url).map_err(|e| format!("invalid PostgreSQL URL: {e}"))
}

impl PgStore {
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, String> {
        Self::connect_with(options(url)?, max_connections).await
    }

    pub async fn connect_with(
        opts: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, String> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(opts)
            .await
            .map_err(|e| format!("cannot connect to PostgreSQL: {e}"))?;
        Ok(PgStore {
            pool,
            outbox_signal: Arc::new(Notify::new()),
            deliveries_signal: Arc::new(Notify::new()),
        })
    }

    /// Applies the embedded migrations; run this as the owner role.
    pub async fn migrate(&self) -> Result<(), String> {
        let mut m = sqlx::migrate!("./migrations");
        m.dangerous_set_table_name(MIGRATIONS_TABLE);
        m.run(&self.pool)
            .await
            .map_err(|e| format!("PostgreSQL migration failed: {e}"))
    }

    /// Refuses to run as a role that could read across tenants: a superuser, a role with
    /// BYPASSRLS, or the owner of Ventros' tables.
    pub async fn verify_rls_role(&self) -> Result<(), String> {
        let r = sqlx::query(
            "SELECT current_user::text AS who, rolsuper, rolbypassrls,
                    (SELECT COUNT(*) FROM pg_tables WHERE tableowner = current_user AND tablename IN ('messages', 'contacts', 'outbox')) AS owned
             FROM pg_roles WHERE rolname = current_user",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(|e| format!("cannot check the database role: {e}"))?;
        let who: String = r.try_get("who").map_err(|e| e.to_string())?;
        let sup: bool = r.try_get("rolsuper").map_err(|e| e.to_string())?;
        let bypass: bool = r.try_get("rolbypassrls").map_err(|e| e.to_string())?;
        let owned: i64 = r.try_get("owned").map_err(|e| e.to_string())?;
        if sup || bypass || owned > 0 {
            return Err(format!(
                "refusing to run as PostgreSQL role {who:?}: it {} row-level security. Connect VENTROS_DATABASE_URL as a \
                 NOSUPERUSER NOBYPASSRLS role that owns no tables, and set VENTROS_MIGRATION_DATABASE_URL to the owner \
                 role (see docs/OPERATIONS.md)",
                if sup {
                    "is a superuser and bypasses"
                } else if bypass {
                    "has BYPASSRLS and bypasses"
                } else {
                    "owns the tables, which weakens"
                }
            ));
        }
        Ok(())
    }

    /// Whether the server runs autovacuum. Without it tables never get statistics, and the
    /// plans that pooled connections cache while a table is small stay in use as it grows
    /// (measured: ingest fell from 533 to 43 msg/s at 80,000 messages; docs/OPERATIONS.md).
    pub async fn autovacuum_enabled(&self) -> Result<bool, String> {
        let v: String = sqlx::query_scalar("SELECT current_setting('autovacuum')")
            .fetch_one(&self.pool)
            .await
            .map_err(|e| format!("cannot read the autovacuum setting: {e}"))?;
        Ok(v == "on")
    }

    pub async fn close(&self) {
        self.pool.close().await;
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

    /// The connection pool, for tools that compare bare SQL with the store.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}
