//! API keys: shown once, listed by prefix, revoked at once.

use crate::both_backends;
use crate::helpers::{TenantKeys, TestApp};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    a_new_key_is_shown_once_and_acts_with_its_role,
    listed_keys_show_the_prefix_never_the_key_or_its_hash,
    a_key_cannot_be_created_for_another_tenant,
    a_revoked_key_is_refused_at_once,
    key_events_never_carry_the_key,
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
