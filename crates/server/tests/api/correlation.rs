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
    an_unsafe_request_id_is_replaced_by_a_fresh_one,
    an_unsafe_correlation_id_falls_back_to_the_request_id_everywhere,
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

async fn an_unsafe_request_id_is_replaced_by_a_fresh_one(app: &TestApp) {
    let long = "r".repeat(129);
    for bad in [
        long.as_str(),
        "two words",
        "<img src=x>",
        "../../etc/passwd",
    ] {
        let r = app
            .send(Method::GET, "/health", None, None, &[("x-request-id", bad)])
            .await;
        let echoed = r.headers["x-request-id"].to_str().unwrap();
        assert_ne!(echoed, bad);
        assert!(
            uuid::Uuid::parse_str(echoed).is_ok(),
            "a fresh id: {echoed}"
        );
    }
    let ok = "r".repeat(128);
    let r = app
        .send(Method::GET, "/health", None, None, &[("x-request-id", &ok)])
        .await;
    assert_eq!(
        r.headers["x-request-id"].to_str().unwrap(),
        ok,
        "128 is allowed"
    );
}

async fn an_unsafe_correlation_id_falls_back_to_the_request_id_everywhere(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let r = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(&k),
            Some(json!({"name": "Traced", "phone": "+5511911110000"})),
            &[("x-correlation-id", "\"; DROP TABLE events; --")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let request_id = r.headers["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(r.headers["x-correlation-id"].to_str().unwrap(), request_id);
    app.drain().await;
    let ev = app.list("/v1/events?limit=200", &k).await;
    let created = ev.iter().find(|e| e["type"] == "contact.created").unwrap();
    assert_eq!(created["correlation_id"], json!(request_id));
}
