#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
//! The conformance suite on PostgreSQL, through a restricted role under row-level security.
//! Runs when VENTROS_TEST_POSTGRES_URL is set (a role that may create databases and roles).

use std::sync::Arc;
use ventros_app::ports::Store;
use ventros_storage_conformance::*;
use ventros_storage_postgres::{PgStore, TestDatabase, provision_test_database};
use ventros_testkit::postgres_url;

/// A throwaway database used through the restricted role; it is dropped with the returned
/// handle when the case ends, passed or failed.
async fn make() -> Option<(Arc<dyn Store>, (PgStore, TestDatabase))> {
    let url = postgres_url("storage conformance")?;
    let db = provision_test_database(&url).await.unwrap();
    let store = PgStore::connect_with(db.app.clone(), 10).await.unwrap();
    store.verify_rls_role().await.unwrap();
    Some((Arc::new(store.clone()), (store, db)))
}

conformance_tests!(make());

#[tokio::test]
async fn owner_role_is_refused_and_rls_hides_other_tenants() {
    let Some(url) = postgres_url("postgres rls") else {
        return;
    };
    let db = provision_test_database(&url).await.unwrap();
    // The owner (here a superuser) must be refused for serving.
    let owner = PgStore::connect_with(db.owner.clone(), 2).await.unwrap();
    let err = owner.verify_rls_role().await.unwrap_err();
    assert!(err.contains("refusing to run"), "{err}");
    owner.close().await;

    let app = PgStore::connect_with(db.app.clone(), 2).await.unwrap();
    // The start-up autovacuum check reads the server's real setting.
    let direct = sqlx::PgPool::connect_with(db.app.clone()).await.unwrap();
    let shown: String = sqlx::query_scalar("SHOW autovacuum")
        .fetch_one(&direct)
        .await
        .unwrap();
    direct.close().await;
    assert_eq!(app.autovacuum_enabled().await, Ok(shown == "on"));
    let store: Arc<dyn Store> = Arc::new(app.clone());
    let a = support::tenant(&store, "alpha").await;
    let _b = support::tenant(&store, "beta").await;
    // Without a tenant set, the restricted role sees no rows at all, even unfiltered.
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(db.app.clone())
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM channels")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(n, 0);
    // With tenant A set, only A's rows, and writing a row for another tenant is refused.
    let mut tx = pool.begin().await.unwrap();
    sqlx::query("SELECT set_config('app.tenant_id', $1, true)")
        .bind(a.scope.tenant_id.0.to_string())
        .execute(&mut *tx)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM channels")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(n, 1);
    let denied = sqlx::query(
        "INSERT INTO projects (id, tenant_id, name, created_at) VALUES ($1, $2, 'x', now())",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(uuid::Uuid::now_v7())
    .execute(&mut *tx)
    .await;
    assert!(
        denied.is_err(),
        "WITH CHECK must refuse a foreign tenant_id"
    );
    drop(tx);
    pool.close().await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_survive_a_restart() {
    let Some(url) = postgres_url("postgres restart") else {
        return;
    };
    let db = provision_test_database(&url).await.unwrap();
    let first = PgStore::connect_with(db.app.clone(), 4).await.unwrap();
    let opts = db.app.clone();
    let closing = first.clone();
    let reopen = async move {
        closing.close().await;
        Arc::new(PgStore::connect_with(opts, 4).await.unwrap()) as Arc<dyn Store>
    };
    cases_jobs::timers_survive_a_restart(Arc::new(first), reopen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_with_events_wake_the_relay() {
    let Some((store, (pg, _db))) = make().await else {
        return;
    };
    cases_outbox::commits_with_events_wake_the_relay(store, pg.outbox_signal()).await;
}

/// `serve` and `work` started together both grant the application role at start-up: the
/// grants never fail for racing one another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn processes_starting_together_grant_without_racing() {
    let Some(url) = postgres_url("postgres grants") else {
        return;
    };
    let db = provision_test_database(&url).await.unwrap();
    let owner = PgStore::connect_with(db.owner.clone(), 8).await.unwrap();
    for _ in 0..3 {
        let mut grants = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let o = owner.clone();
            grants.spawn(async move {
                ventros_storage_postgres::grant_app_role(
                    &o,
                    ventros_storage_postgres::TEST_APP_ROLE,
                )
                .await
            });
        }
        while let Some(r) = grants.join_next().await {
            r.unwrap().unwrap();
        }
    }
    owner.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn armed_deliveries_wake_the_job_runner() {
    let Some((store, (pg, _db))) = make().await else {
        return;
    };
    cases_webhooks::armed_deliveries_wake_the_job_runner(store, pg.deliveries_signal()).await;
}
