//! What an outsider can send that no honest client does: the NUL character (which
//! PostgreSQL cannot store) anywhere, times outside any plausible range, bodies over the
//! limit or not sent as JSON. Each gets a clear 4xx, or for a webhook a stored delivery and
//! 200, never a 5xx, on both backends alike.

use crate::both_backends;
use crate::helpers::{TestApp, code, field};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sample;

both_backends!(
    nul_in_a_webhook_is_removed_and_the_delivery_stored,
    nul_in_an_api_body_is_422_naming_the_field,
    nul_in_a_query_parameter_is_422_naming_it,
    nul_in_a_login_is_401,
    a_webhook_time_outside_the_plausible_range_is_rejected_and_answered_200,
    a_json_body_with_another_content_type_is_415,
    an_api_body_over_the_limit_is_413,
);

async fn nul_in_a_webhook_is_removed_and_the_delivery_stored(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let ch = app.channel(&k, None).await;
    let mut body: Value = serde_json::from_slice(&sample::text_message(
        Some("evt_nul"),
        "5511955550000",
        "NUL1",
        false,
        "x",
        1_700_000_000,
    ))
    .unwrap();
    body["payload"]["body"] = json!("be\u{0}fore\u{0}");
    body["payload"]["_data"] = json!({"notifyName": "Ana\u{0}", "k\u{0}ey": "v\u{0}"});
    let raw = serde_json::to_vec(&body).unwrap();
    assert!(String::from_utf8_lossy(&raw).contains("\\u0000"));
    let (s, v) = app.webhook(ch["id"].as_str().unwrap(), &raw, &[]).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("processed")),
        "{v}"
    );
    let contacts = app.list("/v1/contacts?phone=5511955550000", &k).await;
    assert_eq!(contacts[0]["push_name"], "Ana");
    let msgs = app.list("/v1/messages", &k).await;
    assert_eq!(msgs[0]["body"], "before");
}

async fn nul_in_an_api_body_is_422_naming_the_field(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    for (body, at) in [
        (
            json!({"name": "A\u{0}na", "phone": "+5511911112222"}),
            "name",
        ),
        (
            json!({"name": "Ana", "phone": "+5511911112222", "tags": ["ok", "\u{0}"]}),
            "tags[1]",
        ),
        (
            json!({"name": "Ana", "phone": "+5511911112222", "custom_fields": {"a\u{0}": 1}}),
            "custom_fields.a",
        ),
    ] {
        let (s, v) = app.post("/v1/contacts", &k, body).await;
        assert_eq!(
            (s, code(&v), field(&v)),
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                Some("validation_failed"),
                Some(at)
            ),
            "{v}"
        );
    }
    let (_, list) = app.get("/v1/contacts", &k).await;
    assert_eq!(list["data"], json!([]), "nothing was written");
}

async fn nul_in_a_query_parameter_is_422_naming_it(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (s, v) = app.get("/v1/contacts?search=an%00a", &k).await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("search")),
        "{v}"
    );
}

async fn nul_in_a_login_is_401(app: &TestApp) {
    let t = app.tenant("acme").await;
    for body in [
        json!({"email": format!("{}\u{0}", t.email), "password": t.password}),
        json!({"email": t.email, "password": format!("{}\u{0}", t.password)}),
    ] {
        let (s, v) = app
            .call(Method::POST, "/v1/auth/login", None, Some(body))
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
    }
}

async fn a_webhook_time_outside_the_plausible_range_is_rejected_and_answered_200(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let ch = app.channel(&k, None).await;
    let id = ch["id"].as_str().unwrap();
    // Seconds far past year 9999, negative, and milliseconds in the year 2500.
    for (i, ts) in [json!(1e15), json!(-5), json!(16_725_225_600_000_i64)]
        .into_iter()
        .enumerate()
    {
        let mut body: Value = serde_json::from_slice(&sample::text_message(
            Some(&format!("evt_t{i}")),
            "5511955550001",
            &format!("T{i}"),
            false,
            "when?",
            1_700_000_000,
        ))
        .unwrap();
        body["payload"]["timestamp"] = ts;
        let (s, v) = app
            .webhook(id, &serde_json::to_vec(&body).unwrap(), &[])
            .await;
        assert_eq!(
            (s, v["status"].as_str()),
            (StatusCode::OK, Some("rejected")),
            "{v}"
        );
        assert!(v["detail"].as_str().unwrap().contains("timestamp"), "{v}");
    }
    let msgs = app.list("/v1/messages", &k).await;
    assert!(msgs.is_empty(), "nothing was applied: {msgs:?}");
}

async fn a_json_body_with_another_content_type_is_415(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let body = r#"{"name":"Ana","phone":"+5511911112222"}"#;
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut r = app
            .client
            .post(format!("{}/v1/contacts", app.base))
            .bearer_auth(&k)
            .body(body);
        if let Some(ct) = ct {
            r = r.header("content-type", ct);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let v: Value = resp.json().await.unwrap();
        assert_eq!(
            (status, code(&v)),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some("unsupported_media_type")
            ),
            "{ct:?}"
        );
    }
    let resp = app
        .client
        .post(format!("{}/v1/contacts", app.base))
        .bearer_auth(&k)
        .header("content-type", "application/json; charset=utf-8")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED, "parameters are fine");
}

async fn an_api_body_over_the_limit_is_413(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let big = json!({"name": "Ana", "phone": "+5511911112222", "custom_fields": {"blob": "x".repeat(1024 * 1024)}});
    let (s, v) = app.post("/v1/contacts", &k, big).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
}
