//! Several `ventros serve` behind one load balancer count against the same limits: rate
//! limits and login throttling live in PostgreSQL (by default there) or in Redis, not in
//! each process.

use crate::helpers::{TestApp, code};
use reqwest::{Method, StatusCode};
use serde_json::json;
use ventros_server::config::{Config, ThrottleBackend};

fn small_limits(c: &mut Config) {
    c.login_max_failures = 3;
    c.rate_limit_per_minute = 60;
    c.rate_limit_burst = 3;
}

async fn login(app: &TestApp, email: &str, password: &str) -> (StatusCode, Option<String>) {
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": email, "password": password})),
        )
        .await;
    (s, code(&v).map(str::to_string))
}

/// Three failures spread over `a` and `b` lock the account on both.
async fn failures_lock_everywhere(a: &TestApp, b: &TestApp, email: &str, password: &str) {
    for app in [a, b, a] {
        assert_eq!(
            login(app, email, "wrong password").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    for app in [b, a] {
        assert_eq!(
            login(app, email, password).await,
            (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited".into())),
            "locked on every instance, even with the right password"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_instances_share_rate_limits_and_login_locks() {
    let Some(a) = TestApp::postgres_with(small_limits).await else {
        return;
    };
    let b = a.another_instance(small_limits).await;
    let t = a.tenant("acme").await;
    for app in [&a, &b, &a] {
        let r = app
            .send(Method::GET, "/v1/contacts", Some(&t.api_key), None, &[])
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = b
        .send(Method::GET, "/v1/contacts", Some(&t.api_key), None, &[])
        .await;
    assert_eq!(
        (r.status, code(&r.body)),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited")),
        "the burst was spent on the other instance"
    );
    assert!(r.headers.contains_key("retry-after"));
    failures_lock_everywhere(&a, &b, &t.email, &t.password).await;
    // What the database keeps is digests, never the email or the caller.
    assert!(
        a.tables_containing(&t.email)
            .await
            .iter()
            .all(|t| t != "login_failures")
    );
    b.stop().await;
    a.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_shares_login_locks_between_instances() {
    let Some(url) = ventros_testkit::redis_url("shared limits in Redis") else {
        return;
    };
    let prefix = format!("test.{}.", uuid::Uuid::now_v7().simple());
    let on_redis = |c: &mut Config| {
        small_limits(c);
        c.redis_url = Some(url.clone());
        c.redis_channel_prefix = prefix.clone();
        c.rate_limit_store = ThrottleBackend::Redis;
    };
    // Two instances that share nothing but Redis (each its own SQLite file, with the same
    // admin account in both).
    let a = TestApp::sqlite_with(on_redis).await.unwrap();
    let b = TestApp::sqlite_with(on_redis).await.unwrap();
    let t = a.tenant("acme").await;
    b.tenant("acme").await;
    failures_lock_everywhere(&a, &b, &t.email, &t.password).await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut c = client.get_multiplexed_async_connection().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}login:*"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "one window for the account: {keys:?}");
    assert!(!keys[0].contains("acme"), "a digest, not the email");
    b.stop().await;
    a.stop().await;
}
