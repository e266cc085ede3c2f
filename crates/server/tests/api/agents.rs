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
    agents_and_supervisors_get_their_agent_when_created,
);

/// An admin token and the id of another admin (agents and supervisors get their agent when
/// they are created).
async fn admin_and_user(app: &TestApp) -> (String, String) {
    let t = app.tenant("acme").await;
    let token = app.login(&t.email, &t.password).await;
    let u = create_user(app, &token, "agent@acme.example", "admin").await;
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

async fn agents_and_supervisors_get_their_agent_when_created(app: &TestApp) {
    let t = app.tenant("acme").await;
    let token = app.login(&t.email, &t.password).await;
    let mut users = Vec::new();
    for (email, role) in [
        ("ana@acme.example", "agent"),
        ("sup@acme.example", "supervisor"),
        ("boss@acme.example", "admin"),
    ] {
        users.push(id(&create_user(app, &token, email, role).await));
    }
    let agents = app.list("/v1/agents", &token).await;
    let linked: Vec<&str> = agents
        .iter()
        .filter(|a| a["kind"] == "human")
        .map(|a| a["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(linked, [users[0].as_str(), users[1].as_str()], "{agents:?}");
    assert!(
        agents
            .iter()
            .all(|a| a["active"] == true && a["name"] == "Agent Smith")
    );
    let types = app.event_types(&token).await;
    assert_eq!(types.iter().filter(|t| *t == "agent.created").count(), 2);
    // One agent per user and project: asking for another is a conflict.
    let (s, v) = app
        .post(
            "/v1/agents",
            &token,
            json!({"kind": "human", "name": "Ana again", "user_id": users[0]}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, Some("agent_exists")));
    // A session can go to the new agent at once.
    let conv = crate::helpers::conversation(app, &t.api_key, "5511955554444").await;
    let ana = agents
        .iter()
        .find(|a| a["user_id"] == users[0].as_str())
        .unwrap();
    let (s, v) = app
        .post(
            &format!("/v1/sessions/{}/assign", conv.session),
            &token,
            json!({"agent_id": ana["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["agent_id"], ana["id"]);
}
