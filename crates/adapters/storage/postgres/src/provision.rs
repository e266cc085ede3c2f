//! Role grants for the application role, and throwaway databases for tests.

use crate::PgStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, Connection, Executor, PgConnection};
use uuid::Uuid;

fn ident(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

/// Held while the grants are written. PostgreSQL fails a `GRANT` that races another one on
/// the same objects ("tuple concurrently updated"), and `serve` and `work` started together
/// both grant at start-up.
const GRANTS_LOCK: i64 = 0x7665_6e74_726f_7301;

/// Grants the application role what it needs on Ventros' objects (run as the owner), one
/// process at a time.
pub async fn grant_app_role(owner: &PgStore, role: &str) -> Result<(), String> {
    let r = ident(role);
    let stmts = [
        format!("GRANT USAGE ON SCHEMA public TO {r}"),
        format!("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}"),
        format!("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {r}"),
        format!(
            "REVOKE ALL ON TABLE {} FROM {r}",
            ident(crate::MIGRATIONS_TABLE)
        ),
    ];
    let mut tx = owner.pool.begin().await.map_err(|e| e.to_string())?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(GRANTS_LOCK)
        .execute(&mut *tx)
        .await
        .map_err(|e| format!("cannot take the grants lock: {e}"))?;
    for s in stmts {
        tx.execute(AssertSqlSafe(s.clone()))
            .await
            .map_err(|e| format!("{s}: {e}"))?;
    }
    tx.commit().await.map_err(|e| e.to_string())
}

/// A fresh database: migrated by the admin URL's role, used through a restricted role.
pub struct TestDatabase {
    pub name: String,
    pub owner: PgConnectOptions,
    pub app: PgConnectOptions,
    admin: PgConnectOptions,
}

pub const TEST_APP_ROLE: &str = "ventros_app_test";

/// Creates a database named `ventros_t_…`, migrates it as the admin role, and makes sure the
/// restricted role `ventros_app_test` (NOSUPERUSER NOBYPASSRLS) exists with grants.
pub async fn provision_test_database(admin_url: &str) -> Result<TestDatabase, String> {
    let admin = crate::options(admin_url)?;
    let name = format!("ventros_t_{}", Uuid::now_v7().simple());
    let mut c = PgConnection::connect_with(&admin)
        .await
        .map_err(|e| format!("admin connect: {e}"))?;
    c.execute(AssertSqlSafe(format!("CREATE DATABASE {}", ident(&name))))
        .await
        .map_err(|e| e.to_string())?;
    let create_role = format!(
        "DO $$ BEGIN CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$",
        ident(TEST_APP_ROLE)
    );
    c.execute(AssertSqlSafe(create_role))
        .await
        .map_err(|e| e.to_string())?;
    c.close().await.map_err(|e| e.to_string())?;
    let owner = admin.clone().database(&name);
    let store = PgStore::connect_with(owner.clone(), 2).await?;
    store.migrate().await?;
    grant_app_role(&store, TEST_APP_ROLE).await?;
    store.close().await;
    let app = owner.clone().username(TEST_APP_ROLE);
    Ok(TestDatabase {
        name,
        owner,
        app,
        admin,
    })
}

async fn drop_database(admin: &PgConnectOptions, name: &str) -> Result<(), String> {
    let mut c = PgConnection::connect_with(admin)
        .await
        .map_err(|e| e.to_string())?;
    c.execute(AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        ident(name)
    )))
    .await
    .map_err(|e| e.to_string())?;
    Ok(())
}

/// The database goes when its handle does, also when the test holding it fails (connections
/// still open are closed by force). Drop cannot await, so the drop runs on a thread of its
/// own with its own runtime.
impl Drop for TestDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?
                .block_on(drop_database(&admin, &name))
        })
        .join();
        if let Ok(Err(e)) = dropped {
            tracing::warn!(database = %self.name, error = %e, "could not drop a test database");
        }
    }
}
