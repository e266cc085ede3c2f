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

/// What the log sees of traffic: one line per request and per webhook delivery, by route
/// template and outcome, never the phone numbers or bodies the requests carried. Current
/// thread, so the server's tasks log into this test's subscriber.
#[tokio::test(flavor = "current_thread")]
async fn traffic_is_logged_by_route_and_outcome_without_personal_data() {
    use std::sync::{Arc, Mutex};
    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Lines {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let lines = Lines::default();
    let sink = lines.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter("info")
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = crate::helpers::TestApp::sqlite().await.unwrap();
    let t = app.tenant("acme").await;
    let ch = app.channel(&t.api_key, None).await;
    let channel = ch["id"].as_str().unwrap();
    let body = ventros_waha::sample::text_message(
        Some("evt_log"),
        "5511987650001",
        "LOG1",
        false,
        "my card is 4111 1111",
        1_700_000_000,
    );
    assert_eq!(app.webhook(channel, &body, &[]).await.0, 200);
    let (s, _) = app
        .get("/v1/contacts?phone=%2B5511987650001", &t.api_key)
        .await;
    assert_eq!(s, 200);
    let r = app
        .send(
            reqwest::Method::GET,
            &format!("/v1/contacts/{}", uuid::Uuid::now_v7()),
            Some(&t.api_key),
            None,
            &[("x-request-id", "req-log-404")],
        )
        .await;
    assert_eq!(r.status, 404);
    app.stop().await;

    let text = String::from_utf8(lines.0.lock().unwrap().clone()).unwrap();
    let events: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let requests: Vec<&serde_json::Value> = events
        .iter()
        .map(|e| &e["fields"])
        .filter(|f| f["message"] == "request")
        .collect();
    let routes: Vec<&str> = requests
        .iter()
        .map(|f| f["route"].as_str().unwrap())
        .collect();
    assert_eq!(
        routes,
        [
            "/v1/channels",
            "/webhooks/waha/{channel_id}",
            "/v1/contacts",
            "/v1/contacts/{id}"
        ],
        "one line per request, by template: {text}"
    );
    let missing = requests.last().unwrap();
    assert_eq!(
        (
            missing["method"].as_str(),
            missing["status"].as_u64(),
            missing["request_id"].as_str()
        ),
        (Some("GET"), Some(404), Some("req-log-404"))
    );
    assert!(requests.iter().all(|f| f["latency_ms"].as_f64().is_some()));
    let delivery = events
        .iter()
        .map(|e| &e["fields"])
        .find(|f| f["message"] == "webhook delivery")
        .unwrap_or_else(|| panic!("no webhook line: {text}"));
    assert_eq!(
        (
            delivery["channel"].as_str(),
            delivery["event"].as_str(),
            delivery["outcome"].as_str()
        ),
        (Some(channel), Some("message"), Some("processed"))
    );
    for secret in ["5511987650001", "4111", "waha-secret", t.api_key.as_str()] {
        assert!(!text.contains(secret), "the log holds {secret}: {text}");
    }
}
