//! Projects: users switch between them with `X-Project-Id`; API keys stay in their own.

use crate::both_backends;
use crate::helpers::{TestApp, id};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(
    x_project_id_switches_a_users_project,
    an_api_key_cannot_switch_projects,
    a_malformed_project_id_is_422,
    a_project_of_another_tenant_is_403,
    projects_are_listed_and_read,
    contacts_are_shared_while_their_history_stays_in_its_project,
);

/// An admin token and a second project ("Sales").
async fn two_projects(app: &TestApp) -> (crate::helpers::TenantKeys, String, String) {
    let t = app.tenant("acme").await;
    let token = app.login(&t.email, &t.password).await;
    let (s, p) = app
        .post("/v1/projects", &token, json!({"name": "Sales"}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    (t, token, id(&p))
}

async fn x_project_id_switches_a_users_project(app: &TestApp) {
    let (_, token, pid) = two_projects(app).await;
    app.channel(&token, None).await;
    let r = app
        .send(
            Method::GET,
            "/v1/channels",
            Some(&token),
            None,
            &[("x-project-id", &pid)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["data"].as_array().unwrap().len(),
        0,
        "a new project is empty"
    );
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&token),
            None,
            &[("x-project-id", &pid)],
        )
        .await;
    assert_eq!(r.body["project_id"], json!(pid));
}

async fn an_api_key_cannot_switch_projects(app: &TestApp) {
    let (t, _, pid) = two_projects(app).await;
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&t.api_key),
            None,
            &[("x-project-id", &pid)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn a_malformed_project_id_is_422(app: &TestApp) {
    let (_, token, _) = two_projects(app).await;
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&token),
            None,
            &[("x-project-id", "nope")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_project_of_another_tenant_is_403(app: &TestApp) {
    let (_, token, _) = two_projects(app).await;
    let other = uuid::Uuid::now_v7().to_string();
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&token),
            None,
            &[("x-project-id", &other)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

async fn projects_are_listed_and_read(app: &TestApp) {
    let (_, token, pid) = two_projects(app).await;
    assert_eq!(app.list("/v1/projects", &token).await.len(), 2);
    assert_eq!(
        app.get(&format!("/v1/projects/{pid}"), &token).await.0,
        StatusCode::OK
    );
    let types = app.event_types(&token).await;
    assert!(types.iter().any(|t| t == "project.created"), "{types:?}");
}

/// A request in project `pid` (None: the token's own).
async fn in_project(
    app: &TestApp,
    m: Method,
    path: &str,
    token: &str,
    pid: Option<&str>,
    body: Option<serde_json::Value>,
) -> (StatusCode, serde_json::Value) {
    let headers: Vec<(&str, &str)> = pid.map(|p| ("x-project-id", p)).into_iter().collect();
    let r = app.send(m, path, Some(token), body, &headers).await;
    (r.status, r.body)
}

/// The rule: a contact is the tenant's (one record per phone, read and edited from any
/// project), while what happened in a project (timeline entries, notes, messages, pipeline
/// membership) is seen only there.
async fn contacts_are_shared_while_their_history_stays_in_its_project(app: &TestApp) {
    let (_, token, p2) = two_projects(app).await;
    let p2 = Some(p2.as_str());
    // In project 2: a channel, a customer's message, a note and a pipeline.
    let (_, ch) = in_project(app, Method::POST, "/v1/channels", &token, p2, Some(json!({"name": "Sales line", "waha": {"base_url": "http://waha.local:3000", "api_key": "k", "session": "sales"}}))).await;
    let body = ventros_waha::sample::text_message(
        Some("evt_p2"),
        "5511977770000",
        "P2MSG",
        false,
        "hi sales",
        1_700_000_000,
    );
    assert_eq!(app.webhook(&id(&ch), &body, &[]).await.0, StatusCode::OK);
    app.drain().await;
    let (_, found) = in_project(
        app,
        Method::GET,
        "/v1/contacts?phone=5511977770000",
        &token,
        p2,
        None,
    )
    .await;
    let contact = id(&found["data"][0]);
    let (s, note) = in_project(
        app,
        Method::POST,
        &format!("/v1/contacts/{contact}/notes"),
        &token,
        p2,
        Some(json!({"body": "wants the gold plan"})),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED);
    let (_, pipe) = in_project(
        app,
        Method::POST,
        "/v1/pipelines",
        &token,
        p2,
        Some(json!({"name": "Sales"})),
    )
    .await;
    let (s, _) = in_project(
        app,
        Method::PATCH,
        &format!("/v1/contacts/{contact}"),
        &token,
        p2,
        Some(json!({"pipeline_id": id(&pipe)})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // From project 1 the contact is there (tenant-wide) and editable ...
    let (s, c) = in_project(
        app,
        Method::GET,
        &format!("/v1/contacts/{contact}"),
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(c.get("project_id").is_none(), "no project id is shown: {c}");
    assert_eq!(
        c["pipeline_id"],
        json!(null),
        "another project's pipeline is not shown"
    );
    let (s, _) = in_project(
        app,
        Method::PATCH,
        &format!("/v1/contacts/{contact}"),
        &token,
        None,
        Some(json!({"tags": ["vip"]})),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    // ... but its history in project 2 is not: project 1's timeline holds only the edit
    // made there.
    app.drain().await;
    let (_, tl) = in_project(
        app,
        Method::GET,
        &format!("/v1/contacts/{contact}/events"),
        &token,
        None,
        None,
    )
    .await;
    let types: Vec<&str> = tl["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["contact.updated"], "{tl}");
    for path in ["notes", "messages"] {
        let (s, v) = in_project(
            app,
            Method::GET,
            &format!("/v1/contacts/{contact}/{path}"),
            &token,
            None,
            None,
        )
        .await;
        assert_eq!((s, &v["data"]), (StatusCode::OK, &json!([])), "{path}: {v}");
    }
    let (s, _) = in_project(
        app,
        Method::DELETE,
        &format!("/v1/notes/{}", id(&note)),
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, v) = in_project(
        app,
        Method::GET,
        &format!("/v1/contacts?pipeline_id={}", id(&pipe)),
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // Project 2 still sees all of it, and the edit made from project 1.
    let (_, c) = in_project(
        app,
        Method::GET,
        &format!("/v1/contacts/{contact}"),
        &token,
        p2,
        None,
    )
    .await;
    assert_eq!(
        (c["pipeline_id"].clone(), c["tags"].clone()),
        (json!(id(&pipe)), json!(["vip"]))
    );
    for path in ["events", "notes", "messages"] {
        let (_, v) = in_project(
            app,
            Method::GET,
            &format!("/v1/contacts/{contact}/{path}"),
            &token,
            p2,
            None,
        )
        .await;
        assert!(!v["data"].as_array().unwrap().is_empty(), "{path}: {v}");
    }
}
