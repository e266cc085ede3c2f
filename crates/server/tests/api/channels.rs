//! Channels: updates that never show secrets, signed webhooks, validation, status, and a
//! delete that refuses deliveries but keeps history.

use crate::both_backends;
use crate::helpers::{Conversation, TestApp, conversation};
use reqwest::StatusCode;
use serde_json::json;
use ventros_waha::sample;

both_backends!(
    an_update_is_applied_and_never_shows_secrets,
    a_signed_channel_refuses_unsigned_deliveries,
    clearing_the_hmac_key_with_null_accepts_unsigned_deliveries,
    invalid_updates_are_422,
    the_status_is_unknown_until_waha_reports_one,
    a_deleted_channel_is_gone_from_reads,
    a_deleted_channel_refuses_deliveries_and_keeps_history,
    channel_events_never_carry_the_waha_key,
);

async fn setup(app: &TestApp) -> (String, Conversation) {
    let k = app.tenant("acme").await.api_key;
    let conv = conversation(app, &k, "5511955554444").await;
    (k, conv)
}

fn unsigned(raw: &str) -> Vec<u8> {
    sample::text_message(
        Some(&format!("evt_{raw}")),
        "5511955554444",
        raw,
        false,
        "x",
        1_700_000_100,
    )
}

async fn sign(app: &TestApp, k: &str, ch: &str) {
    let (s, v) = app
        .patch(
            &format!("/v1/channels/{ch}"),
            k,
            json!({"webhook_hmac_key": "0123456789abcdef0123"}),
        )
        .await;
    assert_eq!(
        (s, v["webhook_signed"].as_bool()),
        (StatusCode::OK, Some(true))
    );
}

async fn an_update_is_applied_and_never_shows_secrets(app: &TestApp) {
    let (k, conv) = setup(app).await;
    let (s, v) = app
        .patch(&format!("/v1/channels/{}", conv.channel), &k, json!({"name": "Front desk", "waha": {"api_key": "rotated-waha-key"}, "webhook_hmac_key": "0123456789abcdef0123", "session_timeout_seconds": 600}))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["name"].as_str(),
            v["webhook_signed"].as_bool(),
            v["session_timeout_seconds"].as_i64()
        ),
        (Some("Front desk"), Some(true), Some(600))
    );
    assert!(
        !v.to_string().contains("rotated-waha-key")
            && !v.to_string().contains("0123456789abcdef0123")
    );
}

async fn a_signed_channel_refuses_unsigned_deliveries(app: &TestApp) {
    let (k, conv) = setup(app).await;
    sign(app, &k, &conv.channel).await;
    assert_eq!(
        app.webhook(&conv.channel, &unsigned("U1"), &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
}

async fn clearing_the_hmac_key_with_null_accepts_unsigned_deliveries(app: &TestApp) {
    let (k, conv) = setup(app).await;
    sign(app, &k, &conv.channel).await;
    let (s, v) = app
        .patch(
            &format!("/v1/channels/{}", conv.channel),
            &k,
            json!({"webhook_hmac_key": null}),
        )
        .await;
    assert_eq!(
        (s, v["webhook_signed"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(
        app.webhook(&conv.channel, &unsigned("U1"), &[]).await.0,
        StatusCode::OK
    );
}

async fn invalid_updates_are_422(app: &TestApp) {
    let (k, conv) = setup(app).await;
    for bad in [
        json!({"session_timeout_seconds": 5}),
        json!({"debounce_timeout_ms": 300_001}),
        json!({"message_group_max_age_ms": 999}),
        json!({"waha": {"base_url": "ftp://x"}}),
        json!({"status": "WORKING"}),
    ] {
        let (s, _) = app
            .patch(&format!("/v1/channels/{}", conv.channel), &k, bad.clone())
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
}

async fn the_status_is_unknown_until_waha_reports_one(app: &TestApp) {
    let (k, conv) = setup(app).await;
    let (s, v) = app
        .get(&format!("/v1/channels/{}/status", conv.channel), &k)
        .await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("UNKNOWN")));
}

async fn a_deleted_channel_is_gone_from_reads(app: &TestApp) {
    let (k, conv) = setup(app).await;
    assert_eq!(app.list("/v1/channels", &k).await.len(), 1);
    let path = format!("/v1/channels/{}", conv.channel);
    assert_eq!(app.delete(&path, &k).await, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&path, &k).await.0, StatusCode::NOT_FOUND);
    assert_eq!(app.list("/v1/channels", &k).await.len(), 0);
}

async fn a_deleted_channel_refuses_deliveries_and_keeps_history(app: &TestApp) {
    let (k, conv) = setup(app).await;
    app.delete(&format!("/v1/channels/{}", conv.channel), &k)
        .await;
    assert_eq!(
        app.webhook(&conv.channel, &unsigned("U2"), &[]).await.0,
        StatusCode::UNAUTHORIZED,
        "deleted channels take no deliveries"
    );
    assert_eq!(
        app.list(&format!("/v1/chats/{}/messages", conv.chat), &k)
            .await
            .len(),
        2,
        "history stays"
    );
}

async fn channel_events_never_carry_the_waha_key(app: &TestApp) {
    let (k, conv) = setup(app).await;
    app.patch(
        &format!("/v1/channels/{}", conv.channel),
        &k,
        json!({"waha": {"api_key": "rotated-waha-key"}}),
    )
    .await;
    app.delete(&format!("/v1/channels/{}", conv.channel), &k)
        .await;
    app.drain().await;
    let (_, ev) = app.get("/v1/events?limit=200", &k).await;
    let text = ev.to_string();
    assert!(text.contains("channel.updated") && text.contains("channel.deleted"));
    assert!(!text.contains("rotated-waha-key") && !text.contains("waha-secret"));
}
