//! Pipelines over HTTP on both backends: CRUD with validation and events, roles, contacts
//! moved in and out, and the pipeline's session timeout reaching the session's timer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::TestApp;
use ventros_waha::sample;

both_backends!(
    pipelines_crud_validation_roles_and_events,
    pipeline_timeout_arms_the_sessions_timer
);

fn code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

async fn ok(app: &TestApp, m: Method, path: &str, key: &str, body: Option<Value>) -> Value {
    let (s, v) = app.call(m, path, Some(key), body).await;
    assert!(s.is_success(), "{path}: {s} {v}");
    v
}

async fn pipelines_crud_validation_roles_and_events(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let (s, sales) = app
        .call(
            Method::POST,
            "/v1/pipelines",
            Some(k),
            Some(json!({"name": "Sales", "session_timeout_seconds": 300})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{sales}");
    assert_eq!(sales["name"], "Sales");
    assert_eq!(sales["session_timeout_seconds"], 300);
    let id = sales["id"].as_str().unwrap().to_string();
    let support = ok(
        app,
        Method::POST,
        "/v1/pipelines",
        k,
        Some(json!({"name": "Support"})),
    )
    .await;
    assert!(support["session_timeout_seconds"].is_null());

    assert_eq!(
        ok(app, Method::GET, &format!("/v1/pipelines/{id}"), k, None).await,
        sales
    );
    let page = ok(app, Method::GET, "/v1/pipelines?limit=1", k, None).await;
    assert_eq!(page["data"][0]["id"], sales["id"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let page2 = ok(
        app,
        Method::GET,
        &format!("/v1/pipelines?limit=1&cursor={cursor}"),
        k,
        None,
    )
    .await;
    assert_eq!(page2["data"][0]["id"], support["id"]);
    assert!(page2["next_cursor"].is_null());

    let patched = ok(
        app,
        Method::PATCH,
        &format!("/v1/pipelines/{id}"),
        k,
        Some(json!({"name": "Sales BR", "session_timeout_seconds": null})),
    )
    .await;
    assert_eq!(patched["name"], "Sales BR");
    assert!(patched["session_timeout_seconds"].is_null());
    assert_eq!(
        ok(app, Method::GET, &format!("/v1/pipelines/{id}"), k, None).await["name"],
        "Sales BR"
    );

    for (method, path, body, field) in [
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
            format!("/v1/pipelines/{id}"),
            json!({"session_timeout_seconds": 2_592_001}),
            "session_timeout_seconds",
        ),
    ] {
        let (s, v) = app.call(method, &path, Some(k), Some(body)).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert_eq!(v["error"]["details"]["fields"][0]["field"], field, "{v}");
    }
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/pipelines",
            Some(k),
            Some(json!({"name": "X", "stages": []})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "unknown fields: {v}");
    let missing = uuid::Uuid::now_v7();
    let (s, v) = app.get(&format!("/v1/pipelines/{missing}"), k).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, Some("not_found")));

    // Supervisors read pipelines, only admins change them.
    let (_, sup) = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(k),
            Some(json!({"name": "sup", "role": "supervisor"})),
        )
        .await;
    let sup = sup["key"].as_str().unwrap();
    assert_eq!(app.get("/v1/pipelines", sup).await.0, StatusCode::OK);
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/v1/pipelines/{id}"),
            Some(sup),
            Some(json!({"name": "Mine"})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["details"]["required"].as_str()),
        (StatusCode::FORBIDDEN, Some("pipelines:manage"))
    );

    // Contacts join and leave pipelines; filtering by pipeline finds them.
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(json!({"name": "Ana", "phone": "+5511933330001", "pipeline_id": missing})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["details"]["fields"][0]["field"], "pipeline_id");
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/v1/contacts/{missing}"),
            Some(k),
            Some(json!({"pipeline_id": missing})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::NOT_FOUND, Some("not_found")),
        "a missing contact is 404 whatever the body: {v}"
    );
    let ana = ok(
        app,
        Method::POST,
        "/v1/contacts",
        k,
        Some(json!({"name": "Ana", "phone": "+5511933330001", "pipeline_id": id})),
    )
    .await;
    assert_eq!(ana["pipeline_id"], id.as_str());
    let cid = ana["id"].as_str().unwrap();
    let listed = ok(
        app,
        Method::GET,
        &format!("/v1/contacts?pipeline_id={id}"),
        k,
        None,
    )
    .await;
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    let moved = ok(
        app,
        Method::PATCH,
        &format!("/v1/contacts/{cid}"),
        k,
        Some(json!({"pipeline_id": support["id"]})),
    )
    .await;
    assert_eq!(moved["pipeline_id"], support["id"]);
    let out = ok(
        app,
        Method::PATCH,
        &format!("/v1/contacts/{cid}"),
        k,
        Some(json!({"pipeline_id": null})),
    )
    .await;
    assert!(out["pipeline_id"].is_null());

    app.drain().await;
    let ev = ok(app, Method::GET, "/v1/events?limit=200", k, None).await;
    let of = |ty: &str| -> Vec<Value> {
        ev["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == ty)
            .cloned()
            .collect()
    };
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

async fn pipeline_timeout_arms_the_sessions_timer(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let ch = app.channel(k, None).await;
    let channel = ch["id"].as_str().unwrap();
    let quick = ok(
        app,
        Method::POST,
        "/v1/pipelines",
        k,
        Some(json!({"name": "Quick", "session_timeout_seconds": 90})),
    )
    .await;
    let in_pipeline = "5511933330002";
    ok(
        app,
        Method::POST,
        "/v1/contacts",
        k,
        Some(json!({"name": "Quick one", "phone": format!("+{in_pipeline}"), "pipeline_id": quick["id"]})),
    )
    .await;
    let outside = "5511933330003";
    let at = chrono::Utc::now().timestamp() - 5;
    for (phone, raw) in [(in_pipeline, "QP1"), (outside, "QP2")] {
        let body = sample::text_message(Some(&format!("evt_{raw}")), phone, raw, false, "hi", at);
        assert_eq!(app.webhook(channel, &body, &[]).await.0, StatusCode::OK);
    }
    let jobs = ok(
        app,
        Method::GET,
        "/v1/jobs?status=pending&limit=200",
        k,
        None,
    )
    .await;
    let mut timeouts: Vec<(i64, i64)> = Vec::new();
    for phone in [in_pipeline, outside] {
        let contacts = ok(
            app,
            Method::GET,
            &format!("/v1/contacts?phone={phone}"),
            k,
            None,
        )
        .await;
        let cid = contacts["data"][0]["id"].as_str().unwrap();
        let sessions = ok(
            app,
            Method::GET,
            &format!("/v1/sessions?contact_id={cid}"),
            k,
            None,
        )
        .await;
        let sid = sessions["data"][0]["id"].as_str().unwrap();
        let timer = jobs["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["key"] == format!("session.timeout:{sid}"))
            .unwrap_or_else(|| panic!("no timer for {sid}: {jobs}"));
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
