//! Session metrics over HTTP: live counts, figures on the session after it ends, aggregated
//! reports, the CSV export, message groups, and their validation and RBAC.

use crate::both_backends;
use crate::helpers::{TestApp, field};
use reqwest::{Method, StatusCode};
use serde_json::json;
use ventros_waha::sample;

both_backends!(
    live_counts_show_a_waiting_contact,
    a_contacts_message_opens_a_pending_message_group,
    a_reply_from_the_phone_supersedes_the_group_and_sets_the_first_response,
    an_ended_session_gets_its_figures,
    the_report_aggregates_ended_sessions,
    the_report_covers_only_its_time_range,
    live_counts_drop_an_ended_session,
    the_csv_has_a_header_and_a_row_per_session,
    bad_report_parameters_are_named,
    agents_may_not_read_reports,
    the_channels_group_age_is_shown,
);

/// A channel with a contact's message 30 s before `now`; the channel id.
async fn waiting_since(app: &TestApp, key: &str, now: i64) -> String {
    let ch = app.channel(key, None).await;
    let channel = ch["id"].as_str().unwrap().to_string();
    let inbound = sample::text_message(
        Some("evt_r1"),
        "5511944440001",
        "R1",
        false,
        "hello",
        now - 30,
    );
    assert_eq!(app.webhook(&channel, &inbound, &[]).await.0, StatusCode::OK);
    channel
}

async fn waiting(app: &TestApp, key: &str) -> String {
    waiting_since(app, key, chrono::Utc::now().timestamp()).await
}

/// …answered from the phone 20 s later; the session id.
async fn answered(app: &TestApp, key: &str) -> (String, String) {
    let now = chrono::Utc::now().timestamp();
    let channel = waiting_since(app, key, now).await;
    let reply = sample::text_message(Some("evt_r2"), "5511944440001", "R2", true, "hi!", now - 10);
    assert_eq!(app.webhook(&channel, &reply, &[]).await.0, StatusCode::OK);
    let session = app.list("/v1/sessions", key).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (channel, session)
}

/// …and closed, with its metrics job run; the channel and session ids.
async fn closed(app: &TestApp, key: &str) -> (String, String) {
    let (channel, session) = answered(app, key).await;
    app.ok(
        Method::POST,
        &format!("/v1/sessions/{session}/close"),
        key,
        Some(json!({"reason": "resolved"})),
    )
    .await;
    app.jobs().run_until_idle().await.unwrap();
    (channel, session)
}

async fn key(app: &TestApp) -> String {
    app.tenant("acme").await.api_key
}

async fn live_counts_show_a_waiting_contact(app: &TestApp) {
    let k = key(app).await;
    waiting(app, &k).await;
    let live = app.ok(Method::GET, "/v1/reports/live", &k, None).await;
    assert_eq!(
        live,
        json!({"active": 1, "unassigned": 1, "waiting_for_answer": 1,
               "oldest_waiting_since": live["oldest_waiting_since"]})
    );
    assert!(live["oldest_waiting_since"].is_string());
}

async fn a_contacts_message_opens_a_pending_message_group(app: &TestApp) {
    let k = key(app).await;
    waiting(app, &k).await;
    assert_eq!(
        app.list("/v1/message-groups?status=pending", &k)
            .await
            .len(),
        1
    );
}

async fn a_reply_from_the_phone_supersedes_the_group_and_sets_the_first_response(app: &TestApp) {
    let k = key(app).await;
    answered(app, &k).await;
    assert_eq!(
        app.list("/v1/message-groups?status=superseded", &k)
            .await
            .len(),
        1
    );
    let sessions = app.list("/v1/sessions", &k).await;
    assert_eq!(sessions[0]["agent_first_response_seconds"], 20);
    assert!(sessions[0]["metrics"].is_null(), "figures wait for the end");
}

async fn an_ended_session_gets_its_figures(app: &TestApp) {
    let k = key(app).await;
    let (_, session) = closed(app, &k).await;
    let s = app
        .ok(Method::GET, &format!("/v1/sessions/{session}"), &k, None)
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
}

async fn the_report_aggregates_ended_sessions(app: &TestApp) {
    let k = key(app).await;
    let (channel, _) = closed(app, &k).await;
    let rep = app
        .ok(
            Method::GET,
            "/v1/reports/sessions?group_by=channel",
            &k,
            None,
        )
        .await;
    assert_eq!(rep["total"]["sessions"], 1);
    assert_eq!(rep["total"]["agent_first_response"]["p50_seconds"], 20);
    assert_eq!(rep["total"]["agent_first_response"]["mean_seconds"], 20.0);
    assert_eq!(rep["rows"][0]["key"], channel.as_str());
}

async fn the_report_covers_only_its_time_range(app: &TestApp) {
    let k = key(app).await;
    closed(app, &k).await;
    let from = chrono::Utc::now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        .replace('+', "%2B")
        .replace(':', "%3A");
    let none = app
        .ok(
            Method::GET,
            &format!("/v1/reports/sessions?from={from}"),
            &k,
            None,
        )
        .await;
    assert_eq!(none["total"]["sessions"], 0);
}

async fn live_counts_drop_an_ended_session(app: &TestApp) {
    let k = key(app).await;
    closed(app, &k).await;
    let live = app.ok(Method::GET, "/v1/reports/live", &k, None).await;
    assert_eq!(live["active"], 0);
}

async fn the_csv_has_a_header_and_a_row_per_session(app: &TestApp) {
    let k = key(app).await;
    let (_, session) = closed(app, &k).await;
    let r = app
        .send(Method::GET, "/v1/reports/sessions.csv", Some(&k), None, &[])
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
}

async fn bad_report_parameters_are_named(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app.get("/v1/reports/sessions?group_by=year", &k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(field(&v), Some("group_by"));
    let (s, v) = app
        .get(
            "/v1/reports/sessions?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z",
            &k,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = app.get("/v1/reports/live?colour=blue", &k).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

async fn agents_may_not_read_reports(app: &TestApp) {
    let k = key(app).await;
    let agent_key = app
        .ok(
            Method::POST,
            "/v1/api-keys",
            &k,
            Some(json!({"name": "desk", "role": "agent"})),
        )
        .await["key"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, v) = app.get("/v1/reports/sessions", &agent_key).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert_eq!(v["error"]["details"]["required"], "reports:read");
}

async fn the_channels_group_age_is_shown(app: &TestApp) {
    let k = key(app).await;
    let channel = waiting(app, &k).await;
    let c = app
        .ok(
            Method::PATCH,
            &format!("/v1/channels/{channel}"),
            &k,
            Some(json!({"message_group_max_age_ms": 60_000})),
        )
        .await;
    assert_eq!(c["message_group_max_age_ms"], 60_000);
}
