#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
//! The conformance suite on SQLite (a fresh file per case).

use std::sync::Arc;
use ventros_app::ports::Store;
use ventros_storage_conformance::*;
use ventros_storage_sqlite::SqliteStore;
use ventros_testkit::TempDir;

/// A fresh file in a temp directory that goes when the case ends, passed or failed.
async fn open() -> (SqliteStore, String, TempDir) {
    let dir = TempDir::new("ventros-conf");
    let url = dir.sqlite_url("t.db");
    let s = SqliteStore::connect(&url).await.unwrap();
    s.migrate().await.unwrap();
    (s, url, dir)
}

async fn make() -> Option<(Arc<dyn Store>, TempDir)> {
    let (s, _, dir) = open().await;
    s.verify_durability().await.unwrap();
    Some((Arc::new(s), dir))
}

conformance_tests!(make());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn integrity_ok_after_concurrency() {
    let (s, _, _dir) = open().await;
    let store: Arc<dyn Store> = Arc::new(s.clone());
    cases_load::concurrent_deliveries_of_one_message(store.clone()).await;
    cases_load::thousand_messages_twice_shuffled(store).await;
    assert_eq!(s.integrity_check().await.unwrap(), "ok");
    // Migrations are idempotent.
    s.migrate().await.unwrap();
}

/// Group commit must not answer before the batch is durable: the moment a delivery's commit
/// returns, another connection to the file sees it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_deliveries_are_visible_to_other_connections() {
    use ventros_storage_conformance::support::{ChatFilter, StoreExt};
    let (s, url, _dir) = open().await;
    let store: Arc<dyn Store> = Arc::new(s);
    let other: Arc<dyn Store> = Arc::new(SqliteStore::connect(&url).await.unwrap());
    let t = Arc::new(support::tenant(&store, "acme").await);
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let (store, other, t) = (store.clone(), other.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let phone = format!("551198{i:07}");
            let body = ventros_waha::sample::text_message(
                Some(&format!("evt_{i}")),
                &phone,
                &format!("R{i}"),
                false,
                "oi",
                1_700_000_000,
            );
            assert_eq!(
                support::ingest(&store, &t.channel, &body).await,
                ventros_app::usecases::ingest::IngestOutcome::Processed
            );
            let p = ventros_domain::phone::Phone::parse(&phone).unwrap();
            let seen = other
                .list_contacts(t.scope, Some(&p), support::all())
                .await
                .unwrap()
                .data;
            assert_eq!(
                seen.len(),
                1,
                "delivery {i} was acknowledged before it was durable"
            );
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        other
            .list_chats(t.scope, &ChatFilter::default(), support::all())
            .await
            .unwrap()
            .data
            .len(),
        40
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timers_survive_a_restart() {
    let (s, url, _dir) = open().await;
    let first: Arc<dyn Store> = Arc::new(s.clone());
    let reopen = async {
        s.close().await;
        let again = SqliteStore::connect(&url).await.unwrap();
        again.migrate().await.unwrap();
        Arc::new(again) as Arc<dyn Store>
    };
    cases_jobs::timers_survive_a_restart(first, reopen).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_with_events_wake_the_relay() {
    let (s, _, _dir) = open().await;
    let signal = s.outbox_signal();
    cases_outbox::commits_with_events_wake_the_relay(Arc::new(s), signal).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn armed_deliveries_wake_the_job_runner() {
    let (s, _, _dir) = open().await;
    let signal = s.deliveries_signal();
    cases_webhooks::armed_deliveries_wake_the_job_runner(Arc::new(s), signal).await;
}
