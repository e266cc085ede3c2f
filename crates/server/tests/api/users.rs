//! Users of a tenant: created by admins, logging in with their role, disabled at once.

use crate::both_backends;
use crate::helpers::{TestApp, code, create_user, field, id};
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(
    an_admin_creates_a_user_with_a_normalised_email,
    a_taken_email_is_409,
    a_short_password_is_422_on_password,
    an_unknown_role_is_422,
    the_user_list_never_shows_password_hashes,
    an_agent_user_logs_in_with_agent_permissions,
    a_user_reads_itself,
    disabling_a_user_ends_its_token_and_its_logins,
    an_admin_cannot_disable_itself,
    user_events_never_carry_the_password,
);

async fn admin_token(app: &TestApp) -> String {
    let t = app.tenant("acme").await;
    app.login(&t.email, &t.password).await
}

async fn an_admin_creates_a_user_with_a_normalised_email(app: &TestApp) {
    let token = admin_token(app).await;
    let u = create_user(app, &token, "Agent@Acme.example", "agent").await;
    assert_eq!(u["email"], "agent@acme.example");
    assert!(u.get("password_hash").is_none() && u.get("password").is_none());
}

async fn a_taken_email_is_409(app: &TestApp) {
    let token = admin_token(app).await;
    create_user(app, &token, "agent@acme.example", "agent").await;
    let (s, v) = app
        .post(
            "/v1/users",
            &token,
            json!({"email": "agent@acme.example", "password": "agent password 1", "name": "Dup", "role": "agent"}),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, Some("email_taken")));
}

async fn a_short_password_is_422_on_password(app: &TestApp) {
    let token = admin_token(app).await;
    let (s, v) = app
        .post(
            "/v1/users",
            &token,
            json!({"email": "x@acme.example", "password": "short", "name": "X", "role": "agent"}),
        )
        .await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
}

async fn an_unknown_role_is_422(app: &TestApp) {
    let token = admin_token(app).await;
    let (s, _) = app
        .post(
            "/v1/users",
            &token,
            json!({"email": "y@acme.example", "password": "long enough 1", "name": "Y", "role": "root"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_user_list_never_shows_password_hashes(app: &TestApp) {
    let token = admin_token(app).await;
    create_user(app, &token, "agent@acme.example", "agent").await;
    let (_, list) = app.get("/v1/users", &token).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains("argon2"));
}

async fn an_agent_user_logs_in_with_agent_permissions(app: &TestApp) {
    let token = admin_token(app).await;
    create_user(app, &token, "agent@acme.example", "agent").await;
    let agent_token = app.login("agent@acme.example", "agent password 1").await;
    let (_, me) = app.get("/v1/me", &agent_token).await;
    assert_eq!(me["role"], "agent");
    let (s, v) = app.get("/v1/users", &agent_token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, Some("forbidden")));
}

/// A user may read itself, not others.
async fn a_user_reads_itself(app: &TestApp) {
    let token = admin_token(app).await;
    let u = create_user(app, &token, "agent@acme.example", "agent").await;
    let agent_token = app.login("agent@acme.example", "agent password 1").await;
    assert_eq!(
        app.get(&format!("/v1/users/{}", id(&u)), &agent_token)
            .await
            .0,
        StatusCode::OK
    );
    let admin = app.get("/v1/me", &token).await.1["user"]["id"].clone();
    assert_eq!(
        app.get(
            &format!("/v1/users/{}", admin.as_str().unwrap()),
            &agent_token
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
}

async fn disabling_a_user_ends_its_token_and_its_logins(app: &TestApp) {
    let token = admin_token(app).await;
    let u = create_user(app, &token, "agent@acme.example", "agent").await;
    let agent_token = app.login("agent@acme.example", "agent password 1").await;
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/users/{}/disable", id(&u)),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["disabled_at"].is_string());
    assert_eq!(
        app.get("/v1/me", &agent_token).await.0,
        StatusCode::UNAUTHORIZED,
        "at once"
    );
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": "agent@acme.example", "password": "agent password 1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

async fn an_admin_cannot_disable_itself(app: &TestApp) {
    let token = admin_token(app).await;
    let me = app.get("/v1/me", &token).await.1["user"]["id"].clone();
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/users/{}/disable", me.as_str().unwrap()),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cannot_disable_self")
        )
    );
}

async fn user_events_never_carry_the_password(app: &TestApp) {
    let token = admin_token(app).await;
    let u = create_user(app, &token, "agent@acme.example", "agent").await;
    app.call(
        Method::POST,
        &format!("/v1/users/{}/disable", id(&u)),
        Some(&token),
        None,
    )
    .await;
    let types = app.event_types(&token).await;
    for ty in ["user.created", "user.disabled"] {
        assert!(types.iter().any(|t| t == ty), "{ty} missing from {types:?}");
    }
    let (_, ev) = app.get("/v1/events?limit=200", &token).await;
    assert!(!ev.to_string().contains("agent password 1"));
}
