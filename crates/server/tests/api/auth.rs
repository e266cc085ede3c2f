//! Login, access tokens, `/v1/me`, and the limits on logins and requests.

use crate::both_backends;
use crate::helpers::{Reply, TestApp, code};
use reqwest::{Method, StatusCode};
use serde_json::json;
use ventros_waha::sample;

both_backends!(
    me_shows_the_admin_and_its_permissions,
    me_with_an_api_key_says_it_is_a_key,
    login_ignores_case_and_spaces_in_the_email,
    a_tampered_or_foreign_token_is_refused,
    only_v1_reads_the_authorization_header,
    a_token_naming_another_tenants_project_is_refused,
);

async fn me_shows_the_admin_and_its_permissions(app: &TestApp) {
    let t = app.tenant("acme").await;
    let token = app.login(&t.email, &t.password).await;
    let (s, me) = app.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["tenant_id"], json!(t.tenant_id));
    assert_eq!(me["user"]["email"], json!(t.email));
    assert!(me["permissions"].as_array().unwrap().len() >= 20);
    assert!(me["user"].get("password_hash").is_none());
}

async fn me_with_an_api_key_says_it_is_a_key(app: &TestApp) {
    let t = app.tenant("acme").await;
    let (_, me) = app.get("/v1/me", &t.api_key).await;
    assert!(me["api_key_id"].is_string() && me["user"].is_null(), "{me}");
}

async fn login_ignores_case_and_spaces_in_the_email(app: &TestApp) {
    let t = app.tenant("acme").await;
    app.login(&format!("  {}  ", t.email.to_uppercase()), &t.password)
        .await;
}

async fn a_tampered_or_foreign_token_is_refused(app: &TestApp) {
    let t = app.tenant("acme").await;
    let token = app.login(&t.email, &t.password).await;
    let mut bad = token.clone();
    bad.pop();
    bad.push(if token.ends_with('A') { 'B' } else { 'A' });
    let (s, v) = app.get("/v1/me", &bad).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (s, _) = app.get("/v1/me", "not-a-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// A validly signed token whose project claim is another tenant's project acts nowhere
/// (as `X-Project-Id` naming one is already refused).
async fn a_token_naming_another_tenants_project_is_refused(app: &TestApp) {
    let a = app.tenant("acme").await;
    let b = app.tenant("beta").await;
    let token = app.login(&a.email, &a.password).await;
    let (_, me) = app.get("/v1/me", &token).await;
    let (_, other) = app.get("/v1/me", &b.api_key).await;
    let uuid = |v: &serde_json::Value| uuid::Uuid::parse_str(v.as_str().unwrap()).unwrap();
    let tokens =
        ventros_app::tokens::TokenService::new(b"test-signing-secret-of-at-least-32-bytes", 3600)
            .unwrap();
    let forged = tokens
        .issue(
            uuid(&me["user"]["id"]).into(),
            uuid(&me["tenant_id"]).into(),
            uuid(&other["project_id"]).into(),
            chrono::Utc::now(),
        )
        .unwrap();
    let (s, v) = app.get("/v1/contacts", &forged).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNAUTHORIZED, Some("unauthorized")),
        "{v}"
    );
    let genuine = tokens
        .issue(
            uuid(&me["user"]["id"]).into(),
            uuid(&me["tenant_id"]).into(),
            uuid(&me["project_id"]).into(),
            chrono::Utc::now(),
        )
        .unwrap();
    assert_eq!(app.get("/v1/contacts", &genuine).await.0, StatusCode::OK);
}

/// Health, login and the WAHA webhook ignore a stray `Authorization` header.
async fn only_v1_reads_the_authorization_header(app: &TestApp) {
    let t = app.tenant("acme").await;
    assert_eq!(app.get("/health", "not-a-token").await.0, StatusCode::OK);
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/auth/login",
            Some("stale"),
            Some(json!({"email": t.email, "password": t.password})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let ch = app.channel(&t.api_key, None).await;
    let body = sample::text_message(
        Some("evt_auth_hdr"),
        "5511900002222",
        "H1",
        false,
        "x",
        1_700_000_000,
    );
    let r = app
        .send(
            Method::POST,
            &format!("/webhooks/waha/{}", ch["id"].as_str().unwrap()),
            Some("waha-custom"),
            Some(serde_json::from_slice(&body).unwrap()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// Logins beyond `limit` in a burst (a quarter of the per-minute figure) get 429 with
/// `Retry-After`, whatever the account and even with the right password.
async fn logins_beyond(app: &TestApp, burst: usize) {
    let t = app.tenant("acme").await;
    for i in 0..burst {
        assert_eq!(
            fail_login(app, &format!("nobody-{i}@acme.example")).await,
            StatusCode::UNAUTHORIZED,
            "attempt {i}"
        );
    }
    let r = right_password_waits(app, &t).await;
    assert!(r.headers.get("retry-after").is_some());
}

/// The account's own password, once logins are refused: 429 all the same.
async fn right_password_waits(app: &TestApp, t: &crate::helpers::TenantKeys) -> Reply {
    let r = app
        .send(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": t.email, "password": t.password})),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, code(&r.body)),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
        "even the right password waits"
    );
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_limited_per_client_address() {
    let app = TestApp::sqlite_with(|c| c.login_per_minute_per_address = 16)
        .await
        .unwrap();
    logins_beyond(&app, 4).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_are_limited_in_all() {
    let app = TestApp::sqlite_with(|c| c.login_per_minute = 8)
        .await
        .unwrap();
    logins_beyond(&app, 2).await;
    app.stop().await;
}

/// Login throttling and rate limits need their own small limits.
async fn limited() -> TestApp {
    TestApp::sqlite_with(|c| {
        c.login_max_failures = 3;
        c.rate_limit_per_minute = 60;
        c.rate_limit_burst = 3;
    })
    .await
    .unwrap()
}

async fn fail_login(app: &TestApp, email: &str) -> StatusCode {
    app.call(
        Method::POST,
        "/v1/auth/login",
        None,
        Some(json!({"email": email, "password": "wrong password"})),
    )
    .await
    .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_lock_the_account_with_retry_after() {
    let app = limited().await;
    let t = app.tenant("acme").await;
    for _ in 0..3 {
        let (s, v) = app
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(json!({"email": t.email, "password": "wrong password"})),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
    }
    let r = right_password_waits(&app, &t).await;
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_accounts_fail_like_wrong_passwords() {
    let app = limited().await;
    let t = app.tenant("acme").await;
    assert_eq!(fail_login(&app, &t.email).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        fail_login(&app, "ghost@acme.example").await,
        StatusCode::UNAUTHORIZED,
        "no user enumeration"
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_the_burst_get_429_per_caller() {
    let app = limited().await;
    let t = app.tenant("acme").await;
    for _ in 0..3 {
        let r = app
            .send(Method::GET, "/v1/contacts", Some(&t.api_key), None, &[])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["x-ratelimit-limit"], "60");
    }
    let r = app
        .send(Method::GET, "/v1/contacts", Some(&t.api_key), None, &[])
        .await;
    assert_eq!(
        (r.status, code(&r.body)),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert!(
        r.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let other = app.tenant("other").await;
    let r = app
        .send(Method::GET, "/v1/contacts", Some(&other.api_key), None, &[])
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "another caller has its own bucket"
    );
    app.stop().await;
}
