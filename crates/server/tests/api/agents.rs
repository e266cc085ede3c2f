//! Agents of a project: humans linked to a user, bots and the system.

use crate::both_backends;
use crate::helpers::{TestApp, code, create_user, id};
use reqwest::StatusCode;
use serde_json::json;

both_backends!(
    a_human_agent_is_linked_to_a_user,
    a_user_has_one_agent_per_project,
    a_human_agent_needs_a_user,
    a_bot_cannot_be_linked_to_a_user,
    bots_and_system_agents_are_created,
    an_agent_is_renamed_and_deactivated,
    agents_are_listed_and_their_changes_are_events,
);

/// An admin token and the id of an agent user.
async fn admin_and_user(app: &TestApp) -> (String, String) {
    let t = app.tenant("acme").await;
    let token = app.login(&t.email, &t.password).await;
    let u = create_user(app, &token, "agent@acme.example", "agent").await;
    (token, id(&u))
}

async fn human(app: &TestApp, token: &str, uid: &str) -> serde_json::Value {
    let (s, v) = app
        .post(
            "/v1/agents",
            token,
            json!({"kind": "human", "name": "Smith", "user_id": uid}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn a_human_agent_is_linked_to_a_user(app: &TestApp) {
    let (token, uid) = admin_and_user(app).await;
    let a = human(app, &token, &uid).await;
    assert_eq!(
        (a["kind"].as_str(), a["user_id"].as_str()),
        (Some("human"), Some(uid.as_str()))
    );
}

async fn a_user_has_one_agent_per_project(app: &TestApp) {
    let (token, uid) = admin_and_user(app).await;
    human(app, &token, &uid).await;
    let (s, v) = app
        .post(
            "/v1/agents",
            &token,
            json!({"kind": "human", "name": "Smith again", "user_id": uid}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, Some("agent_exists")));
}

async fn a_human_agent_needs_a_user(app: &TestApp) {
    let (token, _) = admin_and_user(app).await;
    let (s, _) = app
        .post(
            "/v1/agents",
            &token,
            json!({"kind": "human", "name": "Nobody"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_bot_cannot_be_linked_to_a_user(app: &TestApp) {
    let (token, uid) = admin_and_user(app).await;
    let (s, _) = app
        .post(
            "/v1/agents",
            &token,
            json!({"kind": "bot", "name": "Bot", "user_id": uid}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn bots_and_system_agents_are_created(app: &TestApp) {
    let (token, _) = admin_and_user(app).await;
    for kind in ["bot", "system"] {
        let (s, v) = app
            .post("/v1/agents", &token, json!({"kind": kind, "name": kind}))
            .await;
        assert_eq!((s, v["kind"].as_str()), (StatusCode::CREATED, Some(kind)));
    }
}

async fn an_agent_is_renamed_and_deactivated(app: &TestApp) {
    let (token, uid) = admin_and_user(app).await;
    let a = human(app, &token, &uid).await;
    let (s, v) = app
        .patch(
            &format!("/v1/agents/{}", id(&a)),
            &token,
            json!({"active": false, "name": "J. Smith"}),
        )
        .await;
    assert_eq!(
        (s, v["active"].as_bool(), v["name"].as_str()),
        (StatusCode::OK, Some(false), Some("J. Smith"))
    );
}

async fn agents_are_listed_and_their_changes_are_events(app: &TestApp) {
    let (token, uid) = admin_and_user(app).await;
    let a = human(app, &token, &uid).await;
    for kind in ["bot", "system"] {
        app.post("/v1/agents", &token, json!({"kind": kind, "name": kind}))
            .await;
    }
    app.patch(
        &format!("/v1/agents/{}", id(&a)),
        &token,
        json!({"name": "J. Smith"}),
    )
    .await;
    assert_eq!(app.list("/v1/agents", &token).await.len(), 3);
    let types = app.event_types(&token).await;
    for ty in ["agent.created", "agent.updated"] {
        assert!(types.iter().any(|t| t == ty), "{ty} missing from {types:?}");
    }
}
