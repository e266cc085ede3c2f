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
