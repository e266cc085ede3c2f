//! `Idempotency-Key` on POST: a retry replays the stored response; a reused key with another
//! body is refused; keys belong to their caller.

use crate::both_backends;
use crate::helpers::{Reply, TestApp, code, field};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

both_backends!(
    a_retry_replays_the_stored_response_and_runs_once,
    the_same_key_with_another_body_is_422,
    an_error_is_replayed_too,
    keys_belong_to_their_caller,
    an_overlong_or_spaced_key_is_422,
);

fn body() -> Value {
    json!({"name": "Once", "phone": "+5511922221111"})
}

async fn create(app: &TestApp, k: &str, body: Value, key: &str) -> Reply {
    app.send(
        Method::POST,
        "/v1/contacts",
        Some(k),
        Some(body),
        &[("idempotency-key", key)],
    )
    .await
}

async fn a_retry_replays_the_stored_response_and_runs_once(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let r1 = create(app, &k, body(), "create-once-1").await;
    assert_eq!(r1.status, StatusCode::CREATED);
    assert!(r1.headers.get("idempotent-replayed").is_none());
    let r2 = create(app, &k, body(), "create-once-1").await;
    assert_eq!(
        (r2.status, &r2.body),
        (StatusCode::CREATED, &r1.body),
        "the stored response"
    );
    assert_eq!(r2.headers["idempotent-replayed"], "true");
    assert_eq!(app.list("/v1/contacts", &k).await.len(), 1, "ran once");
}

async fn the_same_key_with_another_body_is_422(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    create(app, &k, body(), "create-once-1").await;
    let r3 = create(
        app,
        &k,
        json!({"name": "Other", "phone": "+5511922220000"}),
        "create-once-1",
    )
    .await;
    assert_eq!(
        (r3.status, code(&r3.body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );
}

/// A retry of a request that failed with a 4xx gets the same answer.
async fn an_error_is_replayed_too(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    create(app, &k, body(), "create-once-1").await;
    let r4 = create(app, &k, body(), "dup-1").await;
    let r5 = create(app, &k, body(), "dup-1").await;
    assert_eq!(
        (r4.status, r5.status),
        (StatusCode::CONFLICT, StatusCode::CONFLICT)
    );
    assert_eq!(r5.headers["idempotent-replayed"], "true");
}

async fn keys_belong_to_their_caller(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let r1 = create(app, &k, body(), "create-once-1").await;
    let other = app.tenant("other").await;
    let r6 = create(app, &other.api_key, body(), "create-once-1").await;
    assert_eq!(r6.status, StatusCode::CREATED, "another tenant's key space");
    assert_ne!(r6.body["id"], r1.body["id"]);
}

async fn an_overlong_or_spaced_key_is_422(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let long = "k".repeat(256);
    for bad in [long.as_str(), "two words", "a\tb"] {
        let r = create(app, &k, body(), bad).await;
        assert_eq!(
            (r.status, field(&r.body)),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("Idempotency-Key")),
            "{bad:?}"
        );
    }
    let (_, list) = app.get("/v1/contacts", &k).await;
    assert_eq!(list["data"], json!([]), "nothing ran");
    let ok = "k".repeat(255);
    assert_eq!(
        create(app, &k, body(), &ok).await.status,
        StatusCode::CREATED
    );
}
