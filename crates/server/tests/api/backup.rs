//! The SQLite file as an operator handles it: after SIGTERM the `.db` file alone is the whole
//! database; `ventros backup` copies a running one; `ventros restore` puts back only a sound
//! copy, and never under a running Ventros.

use crate::process::{Served, ventros};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::Path;
use ventros_testkit::TempDir;

fn tenant(url: &str) -> String {
    crate::process::tenant(url)["api_key"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Row counts of every table of a database file, read without writing to it.
async fn rows_of(file: &Path) -> BTreeMap<String, i64> {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let mut counts = BTreeMap::new();
    for t in tables {
        let n: i64 =
            sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM \"{t}\"")))
                .fetch_one(&pool)
                .await
                .unwrap();
        counts.insert(t, n);
    }
    pool.close().await;
    counts
}

/// Ten inbound messages through a channel of `base`.
async fn traffic(base: &str, key: &str) {
    let client = reqwest::Client::new();
    let ch: Value = client
        .post(format!("{base}/v1/channels"))
        .bearer_auth(key)
        .json(&json!({"name": "Reception", "waha": {"base_url": "http://waha.local:3000", "api_key": "k", "session": "default"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel = ch["id"].as_str().unwrap();
    for i in 0..10 {
        let body = ventros_waha::sample::text_message(
            Some(&format!("evt_bk{i}")),
            &format!("55119876500{i:02}"),
            &format!("BK{i}"),
            false,
            "hello",
            1_700_000_000 + i,
        );
        let r = client
            .post(format!("{base}/webhooks/waha/{channel}"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_sigterm_the_db_file_alone_holds_every_row() {
    let dir = TempDir::new("ventros-sigterm");
    let url = dir.sqlite_url("ventros.db");
    let key = tenant(&url);
    let served = Served::start(&url, "info");
    traffic(&served.base, &key).await;
    let (status, lines) = served.terminate().await;
    assert!(status.success(), "{status}");
    let closed = lines
        .iter()
        .any(|v| v["fields"]["message"] == "database closed cleanly");
    assert!(closed, "the shutdown said how the database was left");

    let wal = dir.path().join("ventros.db-wal");
    assert!(
        !wal.exists() || std::fs::metadata(&wal).unwrap().len() == 0,
        "the write-ahead log was folded into the file"
    );
    let elsewhere = TempDir::new("ventros-sigterm-copy");
    let copy = elsewhere.path().join("ventros.db");
    std::fs::copy(dir.path().join("ventros.db"), &copy).unwrap();
    let copied = rows_of(&copy).await;
    assert_eq!(copied["messages"], 10);
    assert_eq!(copied["contacts"], 10);
    assert_eq!(copied["tenants"], 1);
    assert_eq!(
        copied,
        rows_of(&dir.path().join("ventros.db")).await,
        "every row"
    );
}

/// A store writing in this process while the CLI copies and then restores it elsewhere.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_of_a_running_database_restores_every_row() {
    let dir = TempDir::new("ventros-backup");
    let url = dir.sqlite_url("ventros.db");
    tenant(&url);
    let store = ventros_storage_sqlite::SqliteStore::connect(&url)
        .await
        .unwrap();
    let storage: ventros_server::Storage = store.clone().into();
    let mut cfg = ventros_server::config::Config::for_database(&url, "127.0.0.1:0");
    cfg.jwt_secret = Some("test-signing-secret-of-at-least-32-bytes".into());
    let running = ventros_server::start(
        &cfg,
        storage,
        ventros_server::Roles {
            http: true,
            workers: false,
        },
    )
    .await
    .unwrap();
    let key = ventros_app::usecases::api_keys::create_operator_key(
        running.store.as_ref(),
        &ventros_app::ports::SystemClock,
        ventros_app::ports::AccessStore::find_login(running.store.as_ref(), "admin@acme.example")
            .await
            .unwrap()
            .unwrap()
            .tenant_id,
        None,
        "test",
        ventros_domain::tenancy::Role::Admin,
    )
    .await
    .unwrap()
    .secret;
    traffic(&running.base_url(), &key).await;

    let backup = dir.path().join("backup.db");
    let out = ventros(&["backup", "--to", backup.to_str().unwrap()], &url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let again = ventros(&["backup", "--to", backup.to_str().unwrap()], &url)
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "an existing file is never overwritten"
    );
    let live = rows_of(&dir.path().join("ventros.db")).await;
    running.stop().await;

    let target = TempDir::new("ventros-restored");
    let restored_url = target.sqlite_url("ventros.db");
    let out = ventros(
        &["restore", "--from", backup.to_str().unwrap()],
        &restored_url,
    )
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let restored = rows_of(&target.path().join("ventros.db")).await;
    assert_eq!(restored["messages"], 10);
    assert_eq!(restored, live, "every row of the moment of the backup");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_while_the_database_is_open() {
    let dir = TempDir::new("ventros-restore-busy");
    let url = dir.sqlite_url("ventros.db");
    tenant(&url);
    let backup = dir.path().join("backup.db");
    assert!(
        ventros(&["backup", "--to", backup.to_str().unwrap()], &url)
            .output()
            .unwrap()
            .status
            .success()
    );
    let open = ventros_storage_sqlite::SqliteStore::connect(&url)
        .await
        .unwrap();
    let out = ventros(&["restore", "--from", backup.to_str().unwrap()], &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("stop it first"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    open.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_damaged_file_and_keeps_the_database() {
    let dir = TempDir::new("ventros-restore-bad");
    let url = dir.sqlite_url("ventros.db");
    tenant(&url);
    let backup = dir.path().join("backup.db");
    assert!(
        ventros(&["backup", "--to", backup.to_str().unwrap()], &url)
            .output()
            .unwrap()
            .status
            .success()
    );
    let bytes = std::fs::read(&backup).unwrap();
    let damaged = dir.path().join("damaged.db");
    std::fs::write(&damaged, &bytes[..bytes.len() / 2]).unwrap();
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, b"not a database at all, just text").unwrap();
    for file in [&damaged, &garbage] {
        let out = ventros(&["restore", "--from", file.to_str().unwrap()], &url)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{} was restored", file.display());
    }
    assert_eq!(
        rows_of(&dir.path().join("ventros.db")).await["tenants"],
        1,
        "the database is untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_refuses_a_backup_from_a_newer_ventros() {
    let dir = TempDir::new("ventros-restore-newer");
    let url = dir.sqlite_url("ventros.db");
    tenant(&url);
    let backup = dir.path().join("backup.db");
    assert!(
        ventros(&["backup", "--to", backup.to_str().unwrap()], &url)
            .output()
            .unwrap()
            .status
            .success()
    );
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", backup.display()))
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO ventros_migrations (version, description, success, checksum, execution_time) VALUES (99999, 'future', 1, X'00', 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let out = ventros(&["restore", "--from", backup.to_str().unwrap()], &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("newer Ventros"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn backup_on_postgresql_points_at_pg_dump() {
    let out = ventros(&["backup", "--to", "x.db"], "postgres://app@127.0.0.1/none")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
}
