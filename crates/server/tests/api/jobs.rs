//! Durable jobs through the API: timers are listed and read, due ones run, and a job nobody
//! handles is dead-lettered and can be retried.

use crate::both_backends;
use crate::helpers::{Conversation, TestApp, code, conversation};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

both_backends!(
    a_sessions_timer_is_listed_and_read,
    retrying_a_job_that_is_not_dead_is_422,
    an_unknown_status_filter_is_422,
    a_due_timer_ends_the_session_and_arms_its_metrics,
    a_job_nobody_handles_is_dead_and_can_be_retried,
);

async fn setup(app: &TestApp) -> (String, Conversation) {
    let k = app.tenant("acme").await.api_key;
    let conv = conversation(app, &k, "5511988887777").await;
    (k, conv)
}

async fn timer(app: &TestApp, k: &str) -> Value {
    app.list("/v1/jobs?status=pending", k)
        .await
        .into_iter()
        .find(|j| j["kind"] == "session.timeout")
        .unwrap()
}

async fn a_sessions_timer_is_listed_and_read(app: &TestApp) {
    let (k, conv) = setup(app).await;
    let t = timer(app, &k).await;
    assert_eq!(t["kind"], "session.timeout");
    assert_eq!(t["key"], json!(format!("session.timeout:{}", conv.session)));
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/v1/jobs/{id}"), &k).await.1["id"],
        json!(id)
    );
}

async fn retrying_a_job_that_is_not_dead_is_422(app: &TestApp) {
    let (k, _) = setup(app).await;
    let t = timer(app, &k).await;
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/jobs/{}/retry", t["id"].as_str().unwrap()),
            Some(&k),
            None,
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("job_not_dead"))
    );
}

async fn an_unknown_status_filter_is_422(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (s, _) = app.get("/v1/jobs?status=sleeping", &k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

/// The sample messages are from 2023 but arrive now: their session's timer runs a timeout
/// (30 minutes) after their arrival, not at once.
async fn a_due_timer_ends_the_session_and_arms_its_metrics(app: &TestApp) {
    let (k, conv) = setup(app).await;
    assert_eq!(
        app.jobs().run_until_idle().await.unwrap(),
        1,
        "only the contact's picture look is due (it retries: no WAHA here)"
    );
    assert_eq!(app.list("/v1/sessions?status=active", &k).await.len(), 1);
    app.advance(chrono::Duration::minutes(31));
    app.jobs().run_until_idle().await.unwrap();
    let mut kinds: Vec<String> = app
        .list("/v1/jobs?status=done", &k)
        .await
        .iter()
        .map(|j| j["kind"].as_str().unwrap().to_string())
        .collect();
    kinds.sort();
    assert_eq!(
        kinds,
        ["message_group.flush", "session.metrics", "session.timeout"]
    );
    let ended = app.list("/v1/sessions?status=ended", &k).await;
    assert_eq!(ended[0]["id"], json!(conv.session));
    assert_eq!(ended[0]["end_reason"], "inactivity");
    app.drain().await;
    let tl = app
        .list(
            &format!("/v1/contacts/{}/events?type=session.ended", conv.contact),
            &k,
        )
        .await;
    assert_eq!(tl[0]["summary"], "Conversation ended");
}

async fn a_job_nobody_handles_is_dead_and_can_be_retried(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (_, me) = app.get("/v1/me", &k).await;
    // Due a second ago: Ventros' clock keeps whole milliseconds, `Utc::now()` does not.
    let now = chrono::Utc::now() - chrono::Duration::seconds(1);
    let dead = ventros_domain::job::Job {
        id: ventros_domain::ids::JobId::new(),
        tenant_id: ventros_domain::ids::TenantId(
            me["tenant_id"].as_str().unwrap().parse().unwrap(),
        ),
        project_id: ventros_domain::ids::ProjectId(
            me["project_id"].as_str().unwrap().parse().unwrap(),
        ),
        kind: "nobody.handles.this".into(),
        key: "orphan".into(),
        payload: json!({}),
        run_at: now,
        attempts: 0,
        max_attempts: 3,
        status: ventros_domain::job::JobStatus::Pending,
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    app.store.arm_job(&dead).await.unwrap();
    assert_eq!(app.jobs().run_until_idle().await.unwrap(), 1);
    let v = app.list("/v1/jobs?status=dead", &k).await;
    assert_eq!(v.len(), 1);
    assert!(v[0]["last_error"].as_str().unwrap().contains("no handler"));
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/jobs/{}/retry", dead.id),
            Some(&k),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["attempts"].as_i64()),
        (StatusCode::OK, Some("pending"), Some(0))
    );
}
