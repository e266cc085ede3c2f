//! The session lifecycle through the API: assign, transfer, close, reopen, and the
//! assignment intervals and events they leave.

use crate::both_backends;
use crate::helpers::{TestApp, code, conversation, field, id};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sample;

both_backends!(
    assigning_puts_the_agent_on_duty,
    assigning_the_holder_again_changes_nothing,
    assign_needs_an_agent_id,
    a_transfer_to_an_unknown_agent_is_422,
    a_transfer_closes_one_interval_and_opens_the_next_with_its_note,
    sessions_are_filtered_by_the_agent_on_duty,
    an_inactive_agent_cannot_take_sessions,
    close_needs_a_reason,
    closing_ends_the_session_once,
    a_closed_session_takes_no_assignments,
    reopening_starts_a_fresh_window_with_the_agent_back,
    a_session_cannot_be_reopened_while_active,
    reopening_clears_the_figures_until_the_session_ends_again,
    unassigning_leaves_the_session_without_an_agent,
    the_lifecycle_is_told_in_events,
    a_message_after_the_timeout_opens_a_new_session_before_the_timer_runs,
    a_reopened_session_counts_inactivity_from_the_reopen,
    a_message_delivered_late_counts_inactivity_from_its_arrival,
);

/// A session and two bots to assign.
struct Desk {
    k: String,
    sid: String,
    agents: Vec<String>,
}

async fn desk(app: &TestApp) -> Desk {
    let k = app.tenant("acme").await.api_key;
    let conv = conversation(app, &k, "5511966660000").await;
    let mut agents = Vec::new();
    for name in ["Ana (bot)", "Beto (bot)"] {
        let a = app
            .ok(
                Method::POST,
                "/v1/agents",
                &k,
                Some(json!({"kind": "bot", "name": name})),
            )
            .await;
        agents.push(id(&a));
    }
    Desk {
        k,
        sid: conv.session,
        agents,
    }
}

impl Desk {
    async fn act(&self, app: &TestApp, action: &str, body: Option<Value>) -> (StatusCode, Value) {
        app.call(
            Method::POST,
            &format!("/v1/sessions/{}/{action}", self.sid),
            Some(&self.k),
            body,
        )
        .await
    }

    async fn assign(&self, app: &TestApp, agent: usize) -> (StatusCode, Value) {
        self.act(app, "assign", Some(json!({"agent_id": self.agents[agent]})))
            .await
    }

    async fn transfer(&self, app: &TestApp, agent: usize) -> (StatusCode, Value) {
        self.act(
            app,
            "transfer",
            Some(json!({"to_agent_id": self.agents[agent], "note": "Wants a refund; order 4711"})),
        )
        .await
    }

    async fn close(&self, app: &TestApp) -> (StatusCode, Value) {
        self.act(app, "close", Some(json!({"reason": "resolved"})))
            .await
    }

    async fn history(&self, app: &TestApp) -> Vec<Value> {
        app.list(&format!("/v1/sessions/{}/assignments", self.sid), &self.k)
            .await
    }
}

async fn assigning_puts_the_agent_on_duty(app: &TestApp) {
    let d = desk(app).await;
    let (s, v) = d.assign(app, 0).await;
    assert_eq!(
        (s, v["agent_id"].as_str()),
        (StatusCode::OK, Some(d.agents[0].as_str())),
        "{v}"
    );
}

async fn assigning_the_holder_again_changes_nothing(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    let (s, _) = d.assign(app, 0).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(d.history(app).await.len(), 1);
}

async fn assign_needs_an_agent_id(app: &TestApp) {
    let d = desk(app).await;
    let (s, v) = d.act(app, "assign", Some(json!({}))).await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("agent_id"))
    );
}

async fn a_transfer_to_an_unknown_agent_is_422(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    let (s, v) = d
        .act(
            app,
            "transfer",
            Some(json!({"to_agent_id": uuid::Uuid::now_v7()})),
        )
        .await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("to_agent_id"))
    );
}

async fn a_transfer_closes_one_interval_and_opens_the_next_with_its_note(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    let (s, v) = d.transfer(app, 1).await;
    assert_eq!(
        (s, v["agent_id"].as_str()),
        (StatusCode::OK, Some(d.agents[1].as_str())),
        "{v}"
    );
    let h = d.history(app).await;
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0]["kind"].as_str(), h[0]["agent_id"].as_str()),
        (Some("assign"), Some(d.agents[0].as_str()))
    );
    assert!(
        h[0]["ended_at"].is_string(),
        "the first interval closed at the transfer"
    );
    assert_eq!(h[0]["ended_at"], h[1]["started_at"]);
    assert_eq!(
        (
            h[1]["kind"].as_str(),
            h[1]["from_agent_id"].as_str(),
            h[1]["note"].as_str()
        ),
        (
            Some("transfer"),
            Some(d.agents[0].as_str()),
            Some("Wants a refund; order 4711")
        )
    );
    assert!(h[1]["ended_at"].is_null());
    assert!(h[1]["by"].as_str().unwrap().starts_with("api_key:"));
}

async fn sessions_are_filtered_by_the_agent_on_duty(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    d.transfer(app, 1).await;
    assert_eq!(
        app.list(&format!("/v1/sessions?agent_id={}", d.agents[1]), &d.k)
            .await
            .len(),
        1
    );
    assert_eq!(
        app.list(&format!("/v1/sessions?agent_id={}", d.agents[0]), &d.k)
            .await
            .len(),
        0
    );
}

async fn an_inactive_agent_cannot_take_sessions(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 1).await;
    app.patch(
        &format!("/v1/agents/{}", d.agents[0]),
        &d.k,
        json!({"active": false}),
    )
    .await;
    let (s, _) = d
        .act(app, "transfer", Some(json!({"to_agent_id": d.agents[0]})))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn close_needs_a_reason(app: &TestApp) {
    let d = desk(app).await;
    let (s, _) = d.act(app, "close", Some(json!({"reason": ""}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn closing_ends_the_session_once(app: &TestApp) {
    let d = desk(app).await;
    let (s, v) = d.close(app).await;
    assert_eq!(
        (s, v["status"].as_str(), v["end_reason"].as_str()),
        (StatusCode::OK, Some("ended"), Some("resolved")),
        "{v}"
    );
    let (s, v) = d.act(app, "close", Some(json!({"reason": "again"}))).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("session_not_active"))
    );
}

/// Closing also closes the open interval; assignments wait for a reopen.
async fn a_closed_session_takes_no_assignments(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    d.close(app).await;
    let (s, _) = d.act(app, "assign", Some(json!({"agent_id": null}))).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(d.history(app).await[0]["ended_at"].is_string());
}

async fn reopening_starts_a_fresh_window_with_the_agent_back(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    d.transfer(app, 1).await;
    d.close(app).await;
    let before = chrono::Utc::now();
    let (s, v) = d.act(app, "reopen", None).await;
    assert_eq!(
        (s, v["status"].as_str(), v["ended_at"].is_null()),
        (StatusCode::OK, Some("active"), true),
        "{v}"
    );
    let jobs = app.list("/v1/jobs?status=pending", &d.k).await;
    let timer = jobs
        .iter()
        .find(|j| j["key"] == json!(format!("session.timeout:{}", d.sid)))
        .unwrap();
    let run_at: chrono::DateTime<chrono::Utc> = timer["run_at"].as_str().unwrap().parse().unwrap();
    assert!(
        run_at >= before + chrono::Duration::seconds(1790),
        "{run_at}"
    );
    let h = d.history(app).await;
    assert_eq!(
        (h[2]["kind"].as_str(), h[2]["agent_id"].as_str()),
        (Some("reopen"), Some(d.agents[1].as_str()))
    );
}

async fn a_session_cannot_be_reopened_while_active(app: &TestApp) {
    let d = desk(app).await;
    let (s, v) = d.act(app, "reopen", None).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("session_active"))
    );
}

async fn unassigning_leaves_the_session_without_an_agent(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    let (s, v) = d.act(app, "assign", Some(json!({"agent_id": null}))).await;
    assert_eq!((s, v["agent_id"].is_null()), (StatusCode::OK, true));
    let h = d.history(app).await;
    assert_eq!(h[1]["kind"], "unassign");
}

async fn the_lifecycle_is_told_in_events(app: &TestApp) {
    let d = desk(app).await;
    d.assign(app, 0).await;
    d.transfer(app, 1).await;
    d.close(app).await;
    d.act(app, "reopen", None).await;
    d.act(app, "assign", Some(json!({"agent_id": null}))).await;
    app.drain().await;
    let ev = app.list("/v1/events?limit=200", &d.k).await;
    let count = |ty: &str| ev.iter().filter(|e| e["type"] == ty).count();
    assert_eq!(count("session.assigned"), 3);
    assert_eq!(count("session.reopened"), 1);
    let ended = ev.iter().find(|e| e["type"] == "session.ended").unwrap();
    assert_eq!(
        (
            ended["payload"]["reason"].as_str(),
            ended["correlation_id"].is_string()
        ),
        (Some("resolved"), true)
    );
    assert_eq!(ended["payload"]["contact_messages"], 1);
    assert_eq!(ended["payload"]["agent_id"], json!(d.agents[1]));
    assert!(
        ended["payload"]["closed_by"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );
}

async fn reopening_clears_the_figures_until_the_session_ends_again(app: &TestApp) {
    let d = desk(app).await;
    d.close(app).await;
    app.jobs().run_until_idle().await.unwrap();
    let path = format!("/v1/sessions/{}", d.sid);
    let (_, ended) = app.get(&path, &d.k).await;
    assert!(ended["metrics"].is_object(), "{ended}");
    let total = |v: &Value| v["total"]["sessions"].as_i64();
    let (_, rep) = app.get("/v1/reports/sessions", &d.k).await;
    assert_eq!(total(&rep), Some(1));

    d.act(app, "reopen", None).await;
    let (_, reopened) = app.get(&path, &d.k).await;
    assert!(reopened["metrics"].is_null(), "{reopened}");
    let (_, rep) = app.get("/v1/reports/sessions", &d.k).await;
    assert_eq!(total(&rep), Some(0), "an open session is in no report");

    d.close(app).await;
    app.jobs().run_until_idle().await.unwrap();
    let (_, again) = app.get(&path, &d.k).await;
    assert!(again["metrics"].is_object(), "computed anew at the new end");
}

/// The sample conversation's last message is at 1_700_000_060; the default timeout is 30
/// minutes. An hour later the same customer writes again, and no worker has run.
async fn a_message_after_the_timeout_opens_a_new_session_before_the_timer_runs(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let conv = conversation(app, &k, "5511966660000").await;
    let later = sample::text_message(
        Some("evt_later"),
        "5511966660000",
        "LATER",
        false,
        "are you there?",
        1_700_003_660,
    );
    assert_eq!(
        app.webhook(&conv.channel, &later, &[]).await.0,
        StatusCode::OK
    );

    let (_, old) = app.get(&format!("/v1/sessions/{}", conv.session), &k).await;
    assert_eq!(
        (old["status"].as_str(), old["end_reason"].as_str()),
        (Some("ended"), Some("inactivity"))
    );
    assert_eq!(
        old["ended_at"], "2023-11-14T22:44:20Z",
        "last message + 30 min"
    );
    assert_eq!(old["contact_messages"], 1, "the late message is not in it");
    let active = app.list("/v1/sessions?status=active", &k).await;
    assert_eq!(active.len(), 1);
    assert_ne!(active[0]["id"], json!(conv.session));
    assert_eq!(active[0]["started_at"], "2023-11-14T23:14:20Z");
    app.drain().await;
    let events: Vec<(String, String)> = app
        .list("/v1/events?limit=200", &k)
        .await
        .iter()
        .filter(|e| e["type"].as_str().unwrap_or("").starts_with("session."))
        .map(|e| {
            (
                e["type"].as_str().unwrap().into(),
                e["aggregate_id"].as_str().unwrap().into(),
            )
        })
        .collect();
    let active_id = active[0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        events,
        vec![
            ("session.started".into(), conv.session.clone()),
            ("session.ended".into(), conv.session.clone()),
            ("session.started".into(), active_id),
        ]
    );

    // The old timer finds its session ended; the metrics job the end armed computes figures.
    app.jobs().run_until_idle().await.unwrap();
    let (_, old) = app.get(&format!("/v1/sessions/{}", conv.session), &k).await;
    assert_eq!(old["ended_at"], "2023-11-14T22:44:20Z", "not ended twice");
    assert_eq!(old["metrics"]["agent_first_response_seconds"], 60, "{old}");
}

async fn a_reopened_session_counts_inactivity_from_the_reopen(app: &TestApp) {
    let d = desk(app).await;
    d.close(app).await;
    d.act(app, "reopen", None).await;
    // Long after the session's last message, but within 30 minutes of the reopen (now).
    let ts = chrono::Utc::now().timestamp() - 60;
    let again = sample::text_message(
        Some("evt_again"),
        "5511966660000",
        "AGAIN",
        false,
        "still me",
        ts,
    );
    let ch = app.list("/v1/channels", &d.k).await;
    assert_eq!(
        app.webhook(&id(&ch[0]), &again, &[]).await.0,
        StatusCode::OK
    );
    let (_, s) = app.get(&format!("/v1/sessions/{}", d.sid), &d.k).await;
    assert_eq!(
        (s["status"].as_str(), s["contact_messages"].as_i64()),
        (Some("active"), Some(2)),
        "{s}"
    );
}

/// WhatsApp wrote it two hours ago; it reaches Ventros now (the phone was offline, or
/// Ventros was down while WAHA retried). Its session waits a whole timeout from the arrival.
async fn a_message_delivered_late_counts_inactivity_from_its_arrival(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let channel = id(&app.channel(&k, None).await);
    let written = chrono::Utc::now().timestamp() - 7200;
    let late = sample::text_message(
        Some("evt_late"),
        "5511966660000",
        "LATE",
        false,
        "are you open today?",
        written,
    );
    assert_eq!(app.webhook(&channel, &late, &[]).await.0, StatusCode::OK);
    let active = app.list("/v1/sessions?status=active", &k).await;
    assert_eq!(active.len(), 1, "not ended on arrival");
    let sid = active[0]["id"].as_str().unwrap().to_string();
    app.advance(chrono::Duration::minutes(29));
    app.jobs().run_until_idle().await.unwrap();
    let (_, s) = app.get(&format!("/v1/sessions/{sid}"), &k).await;
    assert_eq!(s["status"], "active", "29 minutes after arrival: {s}");
    app.advance(chrono::Duration::minutes(2));
    app.jobs().run_until_idle().await.unwrap();
    let (_, s) = app.get(&format!("/v1/sessions/{sid}"), &k).await;
    assert_eq!(
        (s["status"].as_str(), s["end_reason"].as_str()),
        (Some("ended"), Some("inactivity")),
        "{s}"
    );
    let chats = app
        .list(&format!("/v1/chats?channel_id={channel}"), &k)
        .await;
    let msgs = app
        .list(
            &format!("/v1/chats/{}/messages", chats[0]["id"].as_str().unwrap()),
            &k,
        )
        .await;
    let arrived: chrono::DateTime<chrono::Utc> =
        msgs[0]["created_at"].as_str().unwrap().parse().unwrap();
    let ended: chrono::DateTime<chrono::Utc> = s["ended_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ended, arrived + chrono::Duration::minutes(30));
    assert_eq!(
        s["metrics"]["unanswered_wait_seconds"],
        json!(ended.timestamp() - written),
        "the customer waited from when they wrote: {s}"
    );
}
