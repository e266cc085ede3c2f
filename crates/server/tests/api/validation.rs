//! The API's conventions on bad input (the error envelope, named fields, unknown fields and
//! query parameters refused) and cursor pagination.

use crate::both_backends;
use crate::helpers::{TestApp, code, field};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sample;

both_backends!(
    a_bad_field_is_422_validation_failed_naming_it,
    a_missing_field_is_422_saying_which,
    unknown_body_fields_are_refused,
    malformed_json_is_400_invalid_json,
    a_wrong_key_is_401,
    a_bad_query_value_is_422_naming_it,
    a_garbage_cursor_is_422,
    an_unknown_query_parameter_is_400_invalid_query,
    a_malformed_id_filter_is_422,
    an_unknown_route_is_404_with_the_envelope,
    pagination_walks_every_contact_exactly_once,
);

async fn key(app: &TestApp) -> String {
    app.tenant("acme").await.api_key
}

async fn a_bad_field_is_422_validation_failed_naming_it(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app.post("/v1/channels", &k, json!({"name": "x", "waha": {"base_url": "ftp://nope", "api_key": "k", "session": "default"}})).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    assert_eq!(field(&v), Some("waha.base_url"));
}

async fn a_missing_field_is_422_saying_which(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app
        .post(
            "/v1/channels",
            &k,
            json!({"name": "x", "waha": {"base_url": "http://w", "session": "default"}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("api_key"),
        "{v}"
    );
}

async fn unknown_body_fields_are_refused(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app.post("/v1/channels", &k, json!({"name": "x", "tenant_id": "evil", "waha": {"base_url": "http://w", "api_key": "k", "session": "s"}})).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {v}"
    );
}

async fn malformed_json_is_400_invalid_json(app: &TestApp) {
    let k = key(app).await;
    let resp = app
        .client
        .post(format!("{}/v1/channels", app.base))
        .bearer_auth(&k)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_json"
    );
}

async fn a_wrong_key_is_401(app: &TestApp) {
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/channels",
            Some("vtr_wrong"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
}

async fn a_bad_query_value_is_422_naming_it(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app.get("/v1/contacts?phone=abc", &k).await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone"))
    );
}

async fn a_garbage_cursor_is_422(app: &TestApp) {
    let k = key(app).await;
    let (s, _) = app.get("/v1/contacts?cursor=garbage", &k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_unknown_query_parameter_is_400_invalid_query(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app.get("/v1/contacts?bogus=1", &k).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
}

async fn a_malformed_id_filter_is_422(app: &TestApp) {
    let k = key(app).await;
    let (s, _) = app.get("/v1/chats?contact_id=not-a-uuid", &k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn an_unknown_route_is_404_with_the_envelope(app: &TestApp) {
    let k = key(app).await;
    let (s, v) = app.get("/v1/nothing-here", &k).await;
    assert_eq!((s, code(&v)), (StatusCode::NOT_FOUND, Some("not_found")));
}

async fn pagination_walks_every_contact_exactly_once(app: &TestApp) {
    let k = key(app).await;
    let ch = app.channel(&k, None).await;
    let id = ch["id"].as_str().unwrap();
    for i in 0..7 {
        let b = sample::text_message(
            Some(&format!("evt_p{i}")),
            &format!("55119000000{i:02}"),
            &format!("P{i}"),
            false,
            "oi",
            1_700_000_000 + i,
        );
        assert_eq!(app.webhook(id, &b, &[]).await.0, StatusCode::OK);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let (s, page) = app
            .get(&format!("/v1/contacts?limit=3&cursor={cursor}"), &k)
            .await;
        assert_eq!(s, StatusCode::OK);
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 3);
        for c in data {
            assert!(
                seen.insert(c["id"].as_str().unwrap().to_string()),
                "a contact came twice"
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
}
