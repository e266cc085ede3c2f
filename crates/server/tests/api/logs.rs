//! The real binary's log: JSON lines in which every line of a request carries its request and
//! correlation ids, one line per request and per webhook delivery without personal data, and
//! a clean exit on SIGTERM.

use crate::process::{Served, tenant};
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_carry_request_and_correlation_ids_and_sigterm_exits_cleanly() {
    let dir = ventros_testkit::TempDir::new("ventros-logs");
    let mut served = Served::start(&dir.sqlite_url("l.db"), "info,tower_http=debug");
    let resp = reqwest::Client::new()
        .get(format!("{}/v1/contacts", served.base))
        .header("x-correlation-id", "corr-logs-1")
        .header("x-request-id", "req-logs-1")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert_eq!(resp.headers()["x-correlation-id"], "corr-logs-1");
    let line = served.next(|v| {
        v["fields"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("finished processing request"))
    });
    let span = &line["span"];
    assert_eq!(span["request_id"], "req-logs-1", "{line}");
    assert_eq!(span["correlation_id"], "corr-logs-1", "{line}");
    assert!(
        span.get("path").is_none(),
        "raw paths are not logged: {line}"
    );
    let (status, _) = served.terminate().await;
    assert!(status.success(), "{status}");
}

/// What the log sees of traffic: one line per request and per webhook delivery, by route
/// template and outcome, never the phone numbers, bodies or secrets the requests carried.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traffic_is_logged_by_route_and_outcome_without_personal_data() {
    let dir = ventros_testkit::TempDir::new("ventros-logs");
    let url = dir.sqlite_url("l.db");
    let key = tenant(&url)["api_key"].as_str().unwrap().to_string();
    let served = Served::start(&url, "info");
    let client = reqwest::Client::new();
    let ch: Value = client
        .post(format!("{}/v1/channels", served.base))
        .bearer_auth(&key)
        .json(&json!({"name": "Reception", "waha": {"base_url": "http://waha.local:3000", "api_key": "waha-secret", "session": "default"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel = ch["id"].as_str().unwrap().to_string();
    let body = ventros_waha::sample::text_message(
        Some("evt_log"),
        "5511987650001",
        "LOG1",
        false,
        "my card is 4111 1111",
        1_700_000_000,
    );
    let r = client
        .post(format!("{}/webhooks/waha/{channel}", served.base))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!(
            "{}/v1/contacts?phone=%2B5511987650001",
            served.base
        ))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(format!(
            "{}/v1/contacts/{}",
            served.base,
            uuid::Uuid::now_v7()
        ))
        .bearer_auth(&key)
        .header("x-request-id", "req-log-404")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let (status, lines) = served.terminate().await;
    assert!(status.success(), "{status}");

    let text = lines
        .iter()
        .map(Value::to_string)
        .collect::<Vec<_>>()
        .join("\n");
    let requests: Vec<&Value> = lines
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
    let delivery = lines
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
        (Some(channel.as_str()), Some("message"), Some("processed"))
    );
    for secret in ["5511987650001", "4111", "waha-secret", key.as_str()] {
        assert!(!text.contains(secret), "the log holds {secret}: {text}");
    }
}
