//! Following events without a broker: the feed's filters and `after`, and the live
//! Server-Sent Events stream that resumes with `Last-Event-ID`.

use crate::both_backends;
use crate::helpers::{TestApp, code, conversation};
use reqwest::StatusCode;
use serde_json::Value;
use ventros_waha::sample;

both_backends!(
    the_feed_filters_by_type_and_aggregate_and_resumes_after_an_event,
    the_stream_serves_new_events_and_resumes_with_last_event_id,
);

fn types(v: &[Value]) -> Vec<String> {
    v.iter()
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

async fn the_feed_filters_by_type_and_aggregate_and_resumes_after_an_event(app: &TestApp) {
    let key = app.tenant("acme").await.api_key;
    let conv = conversation(app, &key, "5511977770000").await;
    let all = app.list("/v1/events?limit=200", &key).await;
    let messages = app.list("/v1/events?type=message.*", &key).await;
    assert_eq!(types(&messages), ["message.received", "message.sent"]);
    let started = app.list("/v1/events?type=session.started", &key).await;
    assert_eq!(started.len(), 1);
    let of_session = app
        .list(&format!("/v1/events?aggregate_id={}", conv.session), &key)
        .await;
    assert!(!of_session.is_empty());
    assert!(
        of_session
            .iter()
            .all(|e| e["aggregate_id"] == conv.session.as_str())
    );
    // `message_group.*` is its own prefix: `message.*` never matches it, nor `_` anything.
    let groups = app.list("/v1/events?type=message_group.*", &key).await;
    assert!(
        types(&groups)
            .iter()
            .all(|t| t.starts_with("message_group."))
    );
    // A poller resumes after the last event it handled, also from the last page.
    let last = all.last().unwrap()["id"].as_str().unwrap().to_string();
    let (_, none) = app.get(&format!("/v1/events?after={last}"), &key).await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0);
    let later = sample::text_message(
        Some("evt_later"),
        "5511977770000",
        "LATER1",
        false,
        "one more thing",
        1_700_000_100,
    );
    assert_eq!(
        app.webhook(&conv.channel, &later, &[]).await.0,
        StatusCode::OK
    );
    let (_, next) = app.get(&format!("/v1/events?after={last}"), &key).await;
    assert_eq!(
        types(next["data"].as_array().unwrap()),
        ["message.received"],
        "only what came after"
    );
    let second = all[1]["id"].as_str().unwrap();
    let (_, rest) = app
        .get(&format!("/v1/events?after={second}&limit=200"), &key)
        .await;
    assert_eq!(rest["data"].as_array().unwrap().len(), all.len() - 2 + 1);
    for bad in [
        "/v1/events?type=message.recieved",
        "/v1/events?after=01900000-0000-7000-8000-000000000000",
    ] {
        let (s, v) = app.get(bad, &key).await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed")),
            "{bad}: {v}"
        );
    }
}

/// Reads the stream until `n` events came (10 s at most): their ids and types.
async fn read_events(resp: reqwest::Response, n: usize) -> Vec<(String, String)> {
    let mut resp = resp;
    let mut buf = String::new();
    let mut out = Vec::new();
    let read = async {
        while out.len() < n {
            let Some(chunk) = resp.chunk().await.unwrap() else {
                break;
            };
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}:")))
                        .map(|v| v.trim().to_string())
                };
                if let (Some(id), Some(t)) = (field("id"), field("event")) {
                    out.push((id, t));
                }
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(10), read)
        .await
        .expect("the stream sent the events in time");
    out
}

async fn the_stream_serves_new_events_and_resumes_with_last_event_id(app: &TestApp) {
    let key = app.tenant("acme").await.api_key;
    let conv = conversation(app, &key, "5511977770000").await;
    let open = |last: Option<String>| {
        let mut r = app
            .client
            .get(format!("{}/v1/events/stream?type=message.*", app.base))
            .bearer_auth(&key);
        if let Some(l) = last {
            r = r.header("Last-Event-ID", l);
        }
        r.send()
    };
    let resp = open(None).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    // Only what comes after it opened: two new messages.
    for (n, raw) in ["LIVE1", "LIVE2"].iter().enumerate() {
        let body = sample::text_message(
            Some(&format!("evt_live_{n}")),
            "5511977770000",
            raw,
            false,
            "live",
            1_700_000_200 + n as i64,
        );
        assert_eq!(
            app.webhook(&conv.channel, &body, &[]).await.0,
            StatusCode::OK
        );
    }
    let got = read_events(resp, 2).await;
    assert_eq!(
        got.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["message.received", "message.received"]
    );
    // Reconnecting after the first resumes with the second.
    let again = read_events(open(Some(got[0].0.clone())).await.unwrap(), 1).await;
    assert_eq!(again[0].0, got[1].0);
    // Another tenant's stream never shows them; a bad Last-Event-ID is refused.
    let other = app.tenant("beta").await.api_key;
    let r = app
        .client
        .get(format!("{}/v1/events/stream", app.base))
        .bearer_auth(&other)
        .header("Last-Event-ID", &got[0].0)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not its event"
    );
}
