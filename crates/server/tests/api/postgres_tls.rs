//! PostgreSQL over TLS: `sslmode=require` in the URL encrypts the connection (rustls with the
//! ring provider), and `verify-full` checks the server's certificate.

use ventros_app::ports::Store;

fn with(url: &str, db: &str, query: &str) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    u.set_path(&format!("/{db}"));
    u.set_query(Some(query));
    u.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sslmode_require_encrypts_and_verify_full_checks_the_certificate() {
    let Some(admin) = ventros_testkit::postgres_url("PostgreSQL over TLS") else {
        return;
    };
    let db = ventros_storage_postgres::provision_test_database(&admin)
        .await
        .unwrap();
    let tls: bool = {
        let pool = sqlx::PgPool::connect(&with(&admin, &db.name, "sslmode=require"))
            .await
            .unwrap();
        let on = sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        on
    };
    if !tls {
        panic!("sslmode=require connected without TLS");
    }
    // Ventros' own store over TLS.
    let store =
        ventros_storage_postgres::PgStore::connect(&with(&admin, &db.name, "sslmode=require"), 2)
            .await
            .unwrap();
    store.ping().await.unwrap();
    store.close().await;
    // This server's certificate is self-signed: verify-full must refuse it.
    let refused = ventros_storage_postgres::PgStore::connect(
        &with(&admin, &db.name, "sslmode=verify-full"),
        1,
    )
    .await
    .err()
    .unwrap_or_default();
    assert!(
        !refused.is_empty() && !refused.contains("without TLS"),
        "verify-full: {refused}"
    );
}
