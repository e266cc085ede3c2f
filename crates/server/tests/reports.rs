//! Session metrics over HTTP, on both backends: live counts, figures on the session after it
//! ends, aggregated reports, the CSV export, message groups, and their validation and RBAC.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::TestApp;
use ventros_waha::sample;

both_backends!(metrics_reports_csv_and_live_counts);

async fn call(app: &TestApp, m: Method, path: &str, key: &str, body: Option<Value>) -> Value {
    let (s, v) = app.call(m, path, Some(key), body).await;
    assert!(s.is_success(), "{path}: {s} {v}");
    v
}

async fn metrics_reports_csv_and_live_counts(app: &TestApp) {
    let t = app.tenant("acme").await;
    let key = t.api_key.as_str();
    let ch = app.channel(key, None).await;
    let channel = ch["id"].as_str().unwrap().to_string();
    let phone = "5511944440001";
    let now = chrono::Utc::now().timestamp();
    let inbound = sample::text_message(Some("evt_r1"), phone, "R1", false, "hello", now - 30);
    assert_eq!(app.webhook(&channel, &inbound, &[]).await.0, StatusCode::OK);

    let live = call(app, Method::GET, "/v1/reports/live", key, None).await;
    assert_eq!(
        live,
        json!({"active": 1, "unassigned": 1, "waiting_for_answer": 1,
               "oldest_waiting_since": live["oldest_waiting_since"]})
    );
    assert!(live["oldest_waiting_since"].is_string());
    let groups = call(
        app,
        Method::GET,
        "/v1/message-groups?status=pending",
        key,
        None,
    )
    .await;
    assert_eq!(groups["data"].as_array().unwrap().len(), 1);

    // A person answers from the phone 20 s later: the pending group is superseded.
    let reply = sample::text_message(Some("evt_r2"), phone, "R2", true, "hi!", now - 10);
    assert_eq!(app.webhook(&channel, &reply, &[]).await.0, StatusCode::OK);
    let groups = call(
        app,
        Method::GET,
        "/v1/message-groups?status=superseded",
        key,
        None,
    )
    .await;
    assert_eq!(groups["data"].as_array().unwrap().len(), 1);
    let sessions = call(app, Method::GET, "/v1/sessions", key, None).await;
    let session = sessions["data"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(sessions["data"][0]["agent_first_response_seconds"], 20);
    assert!(sessions["data"][0]["metrics"].is_null());

    call(
        app,
        Method::POST,
        &format!("/v1/sessions/{session}/close"),
        key,
        Some(json!({"reason": "resolved"})),
    )
    .await;
    app.running
        .as_ref()
        .unwrap()
        .jobs
        .run_until_idle()
        .await
        .unwrap();
    let s = call(
        app,
        Method::GET,
        &format!("/v1/sessions/{session}"),
        key,
        None,
    )
    .await;
    let m = &s["metrics"];
    assert_eq!(m["initiated_by"], "contact");
    assert_eq!(m["agent_first_response_seconds"], 20);
    assert_eq!(m["first_response_by"], "human");
    assert_eq!(m["waiting"]["count"], 1);
    assert_eq!(m["duration_seconds"], 20);
    assert_eq!(
        m["messages"],
        json!({"contact": 1, "human": 1, "bot": 0, "system": 0})
    );

    let rep = call(
        app,
        Method::GET,
        "/v1/reports/sessions?group_by=channel",
        key,
        None,
    )
    .await;
    assert_eq!(rep["total"]["sessions"], 1);
    assert_eq!(rep["total"]["agent_first_response"]["p50_seconds"], 20);
    assert_eq!(rep["total"]["agent_first_response"]["mean_seconds"], 20.0);
    assert_eq!(rep["rows"][0]["key"], channel.as_str());
    let none = call(
        app,
        Method::GET,
        &format!(
            "/v1/reports/sessions?from={}",
            urlencode(&chrono::Utc::now())
        ),
        key,
        None,
    )
    .await;
    assert_eq!(none["total"]["sessions"], 0);
    let live = call(app, Method::GET, "/v1/reports/live", key, None).await;
    assert_eq!(live["active"], 0);

    // CSV: a header and one row per session.
    let r = app
        .send(
            Method::GET,
            "/v1/reports/sessions.csv",
            Some(key),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = r.body.as_str().unwrap().to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("session_id,channel_id,chat_id,contact_id"));
    assert!(lines[1].starts_with(&session));

    // Bad input is named; agents may not read reports.
    let (s, v) = app.get("/v1/reports/sessions?group_by=year", key).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["details"]["fields"][0]["field"], "group_by");
    let (s, v) = app
        .get(
            "/v1/reports/sessions?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            key,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = app.get("/v1/reports/live?colour=blue", key).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let agent_key = call(
        app,
        Method::POST,
        "/v1/api-keys",
        key,
        Some(json!({"name": "desk", "role": "agent"})),
    )
    .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app.get("/v1/reports/sessions", &agent_key).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["details"]["required"], "reports:read");

    // The channel's group age is validated and shown.
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/v1/channels/{channel}"),
            Some(key),
            Some(json!({"message_group_max_age_ms": 999})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let c = call(
        app,
        Method::PATCH,
        &format!("/v1/channels/{channel}"),
        key,
        Some(json!({"message_group_max_age_ms": 60_000})),
    )
    .await;
    assert_eq!(c["message_group_max_age_ms"], 60_000);
}

fn urlencode(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .replace('+', "%2B")
        .replace(':', "%3A")
}
