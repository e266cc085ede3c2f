//! Pipelines: CRUD with validation and events, roles, contacts moved in and out, and the
//! pipeline's session timeout reaching the session's timer.

use crate::both_backends;
use crate::helpers::{TestApp, code, field, id};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sample;

both_backends!(
    a_pipeline_is_created_with_or_without_a_timeout,
    a_pipeline_is_read_back_as_created,
    pipelines_page_oldest_first,
    patch_renames_and_clears_the_timeout,
    invalid_pipelines_are_422_naming_the_field,
    unknown_fields_are_422,
    a_missing_pipeline_is_404,
    supervisors_read_pipelines_and_only_admins_change_them,
    a_contact_cannot_join_an_unknown_pipeline,
    a_missing_contact_is_404_whatever_the_pipeline,
    contacts_join_move_and_leave_pipelines,
    pipeline_changes_are_events,
    the_pipelines_timeout_arms_its_contacts_session_timers,
);

/// "Sales" (300 s timeout) and "Support" (none), created in that order.
async fn two(app: &TestApp) -> (String, Value, Value) {
    let k = app.tenant("acme").await.api_key;
    let (s, sales) = app
        .post(
            "/v1/pipelines",
            &k,
            json!({"name": "Sales", "session_timeout_seconds": 300}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sales}");
    let support = app
        .ok(
            Method::POST,
            "/v1/pipelines",
            &k,
            Some(json!({"name": "Support"})),
        )
        .await;
    (k, sales, support)
}

async fn a_pipeline_is_created_with_or_without_a_timeout(app: &TestApp) {
    let (_, sales, support) = two(app).await;
    assert_eq!(sales["name"], "Sales");
    assert_eq!(sales["session_timeout_seconds"], 300);
    assert!(support["session_timeout_seconds"].is_null());
}

async fn a_pipeline_is_read_back_as_created(app: &TestApp) {
    let (k, sales, _) = two(app).await;
    assert_eq!(
        app.ok(
            Method::GET,
            &format!("/v1/pipelines/{}", id(&sales)),
            &k,
            None
        )
        .await,
        sales
    );
}

async fn pipelines_page_oldest_first(app: &TestApp) {
    let (k, sales, support) = two(app).await;
    let page = app.ok(Method::GET, "/v1/pipelines?limit=1", &k, None).await;
    assert_eq!(page["data"][0]["id"], sales["id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page2 = app
        .ok(
            Method::GET,
            &format!("/v1/pipelines?limit=1&cursor={cursor}"),
            &k,
            None,
        )
        .await;
    assert_eq!(page2["data"][0]["id"], support["id"]);
    assert!(page2["next_cursor"].is_null());
}

async fn patch_renames_and_clears_the_timeout(app: &TestApp) {
    let (k, sales, _) = two(app).await;
    let path = format!("/v1/pipelines/{}", id(&sales));
    let patched = app
        .ok(
            Method::PATCH,
            &path,
            &k,
            Some(json!({"name": "Sales BR", "session_timeout_seconds": null})),
        )
        .await;
    assert_eq!(patched["name"], "Sales BR");
    assert!(patched["session_timeout_seconds"].is_null());
    assert_eq!(
        app.ok(Method::GET, &path, &k, None).await["name"],
        "Sales BR"
    );
}

async fn invalid_pipelines_are_422_naming_the_field(app: &TestApp) {
    let (k, sales, _) = two(app).await;
    for (method, path, body, name) in [
        (
            Method::POST,
            "/v1/pipelines".to_string(),
            json!({"name": ""}),
            "name",
        ),
        (
            Method::POST,
            "/v1/pipelines".to_string(),
            json!({"name": "X", "session_timeout_seconds": 5}),
            "session_timeout_seconds",
        ),
        (
            Method::PATCH,
            format!("/v1/pipelines/{}", id(&sales)),
            json!({"session_timeout_seconds": 2_592_001}),
            "session_timeout_seconds",
        ),
    ] {
        let (s, v) = app.call(method, &path, Some(&k), Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(field(&v), Some(name), "{v}");
    }
}

async fn unknown_fields_are_422(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (s, v) = app
        .post("/v1/pipelines", &k, json!({"name": "X", "stages": []}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields: {v}");
}

async fn a_missing_pipeline_is_404(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (s, v) = app
        .get(&format!("/v1/pipelines/{}", uuid::Uuid::now_v7()), &k)
        .await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, Some("not_found")));
}

async fn supervisors_read_pipelines_and_only_admins_change_them(app: &TestApp) {
    let (k, sales, _) = two(app).await;
    let sup = app
        .ok(
            Method::POST,
            "/v1/api-keys",
            &k,
            Some(json!({"name": "sup", "role": "supervisor"})),
        )
        .await;
    let sup = sup["key"].as_str().unwrap();
    assert_eq!(app.get("/v1/pipelines", sup).await.0, StatusCode::OK);
    let (s, v) = app
        .patch(
            &format!("/v1/pipelines/{}", id(&sales)),
            sup,
            json!({"name": "Mine"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["details"]["required"].as_str()),
        (StatusCode::FORBIDDEN, Some("pipelines:manage"))
    );
}

async fn a_contact_cannot_join_an_unknown_pipeline(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (s, v) = app
        .post(
            "/v1/contacts",
            &k,
            json!({"name": "Ana", "phone": "+5511933330001", "pipeline_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(field(&v), Some("pipeline_id"));
}

async fn a_missing_contact_is_404_whatever_the_pipeline(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let missing = uuid::Uuid::now_v7();
    let (s, v) = app
        .patch(
            &format!("/v1/contacts/{missing}"),
            &k,
            json!({"pipeline_id": missing}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "a missing contact is 404 whatever the body: {v}"
    );
}

/// Ana joins Sales, moves to Support and leaves; each step is a contact.updated.
async fn move_ana(app: &TestApp, k: &str, sales: &Value, support: &Value) -> String {
    let ana = app
        .ok(
            Method::POST,
            "/v1/contacts",
            k,
            Some(json!({"name": "Ana", "phone": "+5511933330001", "pipeline_id": sales["id"]})),
        )
        .await;
    assert_eq!(ana["pipeline_id"], sales["id"]);
    let cid = id(&ana);
    let listed = app
        .list(&format!("/v1/contacts?pipeline_id={}", id(sales)), k)
        .await;
    assert_eq!(listed.len(), 1);
    let moved = app
        .ok(
            Method::PATCH,
            &format!("/v1/contacts/{cid}"),
            k,
            Some(json!({"pipeline_id": support["id"]})),
        )
        .await;
    assert_eq!(moved["pipeline_id"], support["id"]);
    let out = app
        .ok(
            Method::PATCH,
            &format!("/v1/contacts/{cid}"),
            k,
            Some(json!({"pipeline_id": null})),
        )
        .await;
    assert!(out["pipeline_id"].is_null());
    cid
}

async fn contacts_join_move_and_leave_pipelines(app: &TestApp) {
    let (k, sales, support) = two(app).await;
    move_ana(app, &k, &sales, &support).await;
    assert!(
        app.list(&format!("/v1/contacts?pipeline_id={}", id(&support)), &k)
            .await
            .is_empty()
    );
}

async fn pipeline_changes_are_events(app: &TestApp) {
    let (k, sales, support) = two(app).await;
    app.ok(
        Method::PATCH,
        &format!("/v1/pipelines/{}", id(&sales)),
        &k,
        Some(json!({"name": "Sales BR"})),
    )
    .await;
    move_ana(app, &k, &sales, &support).await;
    app.drain().await;
    let ev = app.list("/v1/events?limit=200", &k).await;
    let of = |ty: &str| -> Vec<Value> { ev.iter().filter(|e| e["type"] == ty).cloned().collect() };
    assert_eq!(of("pipeline.created").len(), 2);
    let updated = of("pipeline.updated");
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["aggregate_type"], "pipeline");
    assert_eq!(updated[0]["payload"]["name"], "Sales BR");
    let contact_changes: Vec<Value> = of("contact.updated")
        .into_iter()
        .map(|e| e["payload"]["changed"].clone())
        .collect();
    assert_eq!(
        contact_changes,
        vec![json!(["pipeline_id"]), json!(["pipeline_id"])]
    );
}

/// A contact in a pipeline with a 90 s timeout gets a 90 s timer; one outside, the channel's
/// 1800 s.
async fn the_pipelines_timeout_arms_its_contacts_session_timers(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let ch = app.channel(&k, None).await;
    let channel = ch["id"].as_str().unwrap();
    let quick = app
        .ok(
            Method::POST,
            "/v1/pipelines",
            &k,
            Some(json!({"name": "Quick", "session_timeout_seconds": 90})),
        )
        .await;
    let in_pipeline = "5511933330002";
    app.ok(
        Method::POST,
        "/v1/contacts",
        &k,
        Some(json!({"name": "Quick one", "phone": format!("+{in_pipeline}"), "pipeline_id": quick["id"]})),
    )
    .await;
    let outside = "5511933330003";
    let at = chrono::Utc::now().timestamp() - 5;
    for (phone, raw) in [(in_pipeline, "QP1"), (outside, "QP2")] {
        let body = sample::text_message(Some(&format!("evt_{raw}")), phone, raw, false, "hi", at);
        assert_eq!(app.webhook(channel, &body, &[]).await.0, StatusCode::OK);
    }
    let jobs = app.list("/v1/jobs?status=pending&limit=200", &k).await;
    let mut timeouts: Vec<(i64, i64)> = Vec::new();
    for phone in [in_pipeline, outside] {
        let contacts = app.list(&format!("/v1/contacts?phone={phone}"), &k).await;
        let sessions = app
            .list(&format!("/v1/sessions?contact_id={}", id(&contacts[0])), &k)
            .await;
        let sid = id(&sessions[0]);
        let timer = jobs
            .iter()
            .find(|j| j["key"] == format!("session.timeout:{sid}"))
            .unwrap_or_else(|| panic!("no timer for {sid}: {jobs:?}"));
        let run_at = chrono::DateTime::parse_from_rfc3339(timer["run_at"].as_str().unwrap())
            .unwrap()
            .timestamp();
        timeouts.push((
            timer["payload"]["timeout_seconds"].as_i64().unwrap(),
            run_at - at,
        ));
    }
    assert_eq!(timeouts, vec![(90, 90), (1800, 1800)]);
}
