//! API keys: shown once, listed by prefix, revoked at once.

use crate::both_backends;
use crate::helpers::{TenantKeys, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

both_backends!(
    a_new_key_is_shown_once_and_acts_with_its_role,
    listed_keys_show_the_prefix_never_the_key_or_its_hash,
    a_key_cannot_be_created_for_another_tenant,
    a_revoked_key_is_refused_at_once,
    key_events_never_carry_the_key,
    a_retried_creation_says_the_key_was_shown_and_no_table_holds_a_secret,
);

async fn new_key(app: &TestApp) -> (TenantKeys, Value) {
    let t = app.tenant("acme").await;
    let (s, k) = app
        .post(
            "/v1/api-keys",
            &t.api_key,
            json!({"name": "Zapier", "role": "supervisor"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    (t, k)
}

fn key_of(k: &Value) -> String {
    k["key"].as_str().unwrap().to_string()
}

async fn revoke(app: &TestApp, t: &TenantKeys, k: &Value) -> StatusCode {
    app.delete(
        &format!("/v1/api-keys/{}", k["id"].as_str().unwrap()),
        &t.api_key,
    )
    .await
}

async fn a_new_key_is_shown_once_and_acts_with_its_role(app: &TestApp) {
    let (_, k) = new_key(app).await;
    let key = key_of(&k);
    assert!(key.starts_with("vtr_") && key.starts_with(k["prefix"].as_str().unwrap()));
    let (_, me) = app.get("/v1/me", &key).await;
    assert_eq!(me["role"], "supervisor");
}

async fn listed_keys_show_the_prefix_never_the_key_or_its_hash(app: &TestApp) {
    let (t, k) = new_key(app).await;
    let key = key_of(&k);
    let (_, list) = app.get("/v1/api-keys", &t.api_key).await;
    let text = list.to_string();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(!text.contains(&key), "a listed key never shows the key");
    assert!(!text.contains(&ventros_app::secrets::hash_api_key(&key)));
    assert!(list["data"][1].get("key").is_none() && list["data"][1].get("key_hash").is_none());
}

/// Mass assignment: no setting the id or the tenant through the body.
async fn a_key_cannot_be_created_for_another_tenant(app: &TestApp) {
    let t = app.tenant("acme").await;
    let (s, _) = app
        .post(
            "/v1/api-keys",
            &t.api_key,
            json!({"name": "x", "role": "admin", "tenant_id": t.tenant_id}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_revoked_key_is_refused_at_once(app: &TestApp) {
    let (t, k) = new_key(app).await;
    let key = key_of(&k);
    assert_eq!(revoke(app, &t, &k).await, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/v1/me", &key).await.0,
        StatusCode::UNAUTHORIZED,
        "revoked at once"
    );
    assert_eq!(
        revoke(app, &t, &k).await,
        StatusCode::NO_CONTENT,
        "revoking twice is fine"
    );
    let (_, list) = app.get("/v1/api-keys", &t.api_key).await;
    assert!(list["data"][1]["revoked_at"].is_string());
}

async fn key_events_never_carry_the_key(app: &TestApp) {
    let (t, k) = new_key(app).await;
    let key = key_of(&k);
    revoke(app, &t, &k).await;
    app.drain().await;
    let (_, ev) = app.get("/v1/events?limit=200", &t.api_key).await;
    let text = ev.to_string();
    assert!(text.contains("api_key.created") && text.contains("api_key.revoked"));
    assert!(!text.contains(&key), "events never carry the key");
}

async fn a_retried_creation_says_the_key_was_shown_and_no_table_holds_a_secret(app: &TestApp) {
    let t = app.tenant("acme").await;
    let create = || {
        app.send(
            Method::POST,
            "/v1/api-keys",
            Some(&t.api_key),
            Some(json!({"name": "Zapier", "role": "agent"})),
            &[("idempotency-key", "zapier-key-1")],
        )
    };
    let first = create().await;
    assert_eq!(first.status, StatusCode::CREATED);
    let key = key_of(&first.body);
    let again = create().await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert_eq!(again.body["error"]["code"], "secret_already_shown");
    assert_eq!(again.body["error"]["details"]["id"], first.body["id"]);
    assert!(!again.body.to_string().contains(&key), "not shown again");
    assert_eq!(
        app.get("/v1/me", &key).await.0,
        StatusCode::OK,
        "one key, working"
    );

    let password = "a user's own long password";
    let (s, _) = app
        .post(
            "/v1/users",
            &t.api_key,
            json!({"email": "maria@acme.example", "password": password, "name": "Maria", "role": "agent"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let token = app.login("maria@acme.example", password).await;
    for secret in [
        key.as_str(),
        t.api_key.as_str(),
        password,
        &t.password,
        &token,
    ] {
        let found = app.tables_containing(secret).await;
        assert!(found.is_empty(), "a secret is stored in {found:?}");
    }
    assert!(
        !app.tables_containing("zapier-key-1").await.is_empty(),
        "the scan finds what is there (the idempotency key itself)"
    );
}
