//! `/metrics`: requests by route template and status, webhook outcomes by event, the outbox
//! and job gauges of the scraped server, no ids as labels, and a listener of its own.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use ventros_waha::sample;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_webhook_outcomes() {
    let app = TestApp::sqlite().await.unwrap();
    let t = app.tenant("acme").await;
    let ch = app.channel(&t.api_key, None).await;
    let id = ch["id"].as_str().unwrap();
    app.webhook(
        id,
        &sample::text_message(
            Some("evt_m1"),
            "5511999998888",
            "M1",
            false,
            "oi",
            1_700_000_000,
        ),
        &[],
    )
    .await;
    app.webhook(
        id,
        &sample::text_message(
            Some("evt_m1"),
            "5511999998888",
            "M1",
            false,
            "oi",
            1_700_000_000,
        ),
        &[],
    )
    .await;
    app.webhook(id, br#"{"event":"made.up.event","payload":{}}"#, &[])
        .await;
    let missing = uuid::Uuid::now_v7();
    assert_eq!(
        app.get(&format!("/v1/contacts/{missing}"), &t.api_key)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let scrape = || async {
        app.client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before_drain = scrape().await;
    let pending_line = before_drain
        .lines()
        .find(|l| l.starts_with("ventros_outbox_pending "))
        .unwrap();
    assert_ne!(
        pending_line, "ventros_outbox_pending 0",
        "events are waiting before the relay runs"
    );
    app.drain().await;
    // Two days on, with no runner here: the jobs the message armed are overdue.
    app.advance(chrono::Duration::days(2));
    let text = scrape().await;
    let has = |parts: &[&str]| text.lines().any(|l| parts.iter().all(|p| l.contains(p)));
    assert!(
        has(&[
            "ventros_webhook_deliveries_total{",
            "event=\"message\"",
            "outcome=\"processed\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_webhook_deliveries_total{",
            "event=\"message\"",
            "outcome=\"duplicate\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_webhook_deliveries_total{",
            "event=\"other\"",
            "outcome=\"ignored\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_http_requests_total{",
            "route=\"/v1/contacts/{id}\"",
            "status=\"404\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_http_request_duration_seconds_bucket{",
            "route=\"/webhooks/waha/{channel_id}\""
        ]),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l == "ventros_outbox_pending 0"),
        "{text}"
    );
    assert!(has(&["ventros_db_pool_connections"]), "{text}");
    // The message's session timer and picture look are overdue.
    let gauge = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert!(gauge("ventros_jobs_due") >= 1.0, "{text}");
    assert!(
        gauge("ventros_jobs_oldest_due_age_seconds") > 86_400.0,
        "{text}"
    );
    assert_eq!(gauge("ventros_jobs_dead"), 0.0, "{text}");
    assert!(
        !text.contains(&missing.to_string()) && !text.contains(id),
        "ids must never become labels"
    );
    app.stop().await;
}

/// With `VENTROS_METRICS_ADDR`, `/metrics` answers there and the API listener no longer has
/// it (404, the not-found envelope).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metrics_listener_of_its_own_takes_metrics_off_the_api() {
    let app = TestApp::sqlite_with(|c| c.metrics_addr = Some("127.0.0.1:0".into()))
        .await
        .unwrap();
    let own = app.metrics_base().expect("a metrics listener");
    assert_ne!(own, app.base);
    let r = app
        .client
        .get(format!("{own}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let text = r.text().await.unwrap();
    assert!(text.contains("ventros_outbox_pending 0"), "{text}");
    let (s, v) = app.call(reqwest::Method::GET, "/metrics", None, None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    let r = app
        .client
        .get(format!("{own}/v1/contacts"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "only /metrics there");
    app.stop().await;
}
