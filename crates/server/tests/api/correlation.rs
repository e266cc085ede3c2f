//! Request and correlation ids: echoed on every answer and written into the events a request
//! causes.

use crate::both_backends;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::json;

both_backends!(
    a_correlation_id_is_echoed_beside_a_request_id,
    the_correlation_id_defaults_to_the_request_id,
    a_request_id_sent_is_kept,
    the_correlation_id_reaches_the_events,
);

async fn traced(app: &TestApp, k: &str) -> crate::helpers::Reply {
    app.send(
        Method::POST,
        "/v1/contacts",
        Some(k),
        Some(json!({"name": "Traced", "phone": "+5511911110000"})),
        &[("x-correlation-id", "order-4711")],
    )
    .await
}

async fn a_correlation_id_is_echoed_beside_a_request_id(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let r = traced(app, &k).await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.headers["x-correlation-id"], "order-4711");
    assert!(r.headers.get("x-request-id").is_some());
}

async fn the_correlation_id_defaults_to_the_request_id(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let r = app
        .send(Method::GET, "/v1/contacts", Some(&k), None, &[])
        .await;
    assert_eq!(
        r.headers["x-correlation-id"], r.headers["x-request-id"],
        "defaults to the request id"
    );
}

async fn a_request_id_sent_is_kept(app: &TestApp) {
    let r = app
        .send(
            Method::GET,
            "/health",
            None,
            None,
            &[("x-request-id", "req-1")],
        )
        .await;
    assert_eq!(
        (
            r.headers["x-request-id"].to_str().unwrap(),
            r.headers["x-correlation-id"].to_str().unwrap()
        ),
        ("req-1", "req-1")
    );
}

async fn the_correlation_id_reaches_the_events(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    traced(app, &k).await;
    app.drain().await;
    let ev = app.list("/v1/events?limit=200", &k).await;
    let created = ev.iter().find(|e| e["type"] == "contact.created").unwrap();
    assert_eq!(created["correlation_id"], "order-4711");
    assert_eq!(created["source"], "api");
}
