#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The conformance suite on SQLite (a fresh file per case).

use std::sync::Arc;
use ventros_app::ports::Store;
use ventros_storage_conformance::*;
use ventros_storage_sqlite::SqliteStore;

async fn make() -> Option<(Arc<dyn Store>, std::path::PathBuf)> {
    let dir = std::env::temp_dir().join(format!("ventros-conf-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
    let s = SqliteStore::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    s.verify_durability().await.unwrap();
    Some((Arc::new(s), dir))
}

async fn cleanup(dir: std::path::PathBuf) {
    let _ = std::fs::remove_dir_all(dir);
}

conformance_tests!(make(), cleanup);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrity_ok_after_concurrency() {
    let dir = std::env::temp_dir().join(format!("ventros-conf-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("t.db").display());
    let s = SqliteStore::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(s.clone());
    cases_load::concurrent_deliveries_of_one_message(store.clone()).await;
    cases_load::thousand_messages_twice_shuffled(store).await;
    assert_eq!(s.integrity_check().await.unwrap(), "ok");
    // Migrations are idempotent.
    s.migrate().await.unwrap();
}
