//! The real binary: JSON logs in which every line of a request carries its request id and
//! correlation id, and a clean exit on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_and_correlation_ids_and_sigterm_exits_cleanly() {
    let dir = ventros_testkit::TempDir::new("ventros-logs");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ventros"))
        .arg("serve")
        .env("VENTROS_DATABASE_URL", dir.sqlite_url("l.db"))
        .env("VENTROS_HTTP_ADDR", "127.0.0.1:0")
        .env("VENTROS_LOG_FORMAT", "json")
        .env("RUST_LOG", "info,tower_http=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = mpsc::channel::<serde_json::Value>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Ok(v) = serde_json::from_str(&line) {
                let _ = tx.send(v);
            }
        }
    });
    let next = |pred: &dyn Fn(&serde_json::Value) -> bool| loop {
        let v = rx.recv_timeout(Duration::from_secs(20)).expect("log line");
        if pred(&v) {
            return v;
        }
    };
    let listening = next(&|v| v["fields"]["addr"].is_string());
    let addr = listening["fields"]["addr"].as_str().unwrap().to_string();

    let resp = reqwest::Client::new()
        .get(format!("http://{addr}/v1/contacts"))
        .header("x-correlation-id", "corr-logs-1")
        .header("x-request-id", "req-logs-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-correlation-id"], "corr-logs-1");
    let line = next(&|v| {
        v["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("finished processing request"))
    });
    let span = &line["span"];
    assert_eq!(span["request_id"], "req-logs-1", "{line}");
    assert_eq!(span["correlation_id"], "corr-logs-1", "{line}");
    assert_eq!(span["path"], "/v1/contacts", "{line}");

    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let status = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || child.wait()),
    )
    .await
    .expect("no exit after SIGTERM")
    .unwrap()
    .unwrap();
    assert!(status.success(), "{status}");
}
