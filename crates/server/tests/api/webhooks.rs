//! WAHA webhooks in: the walk from a new channel to CRM state, the timeline and the event
//! feed; signatures, bad bodies and size limits.

use crate::both_backends;
use crate::helpers::{TestApp, code};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use ventros_testkit::fixture;
use ventros_waha::{sample, sign_hex};

both_backends!(
    a_channel_shows_its_webhook_url_and_never_its_secrets,
    a_session_status_webhook_sets_the_channel_status,
    an_image_message_is_stored_with_its_media,
    a_resent_delivery_is_a_duplicate,
    the_phone_filter_takes_a_number_without_plus,
    the_timeline_is_written_once_the_relay_publishes,
    the_event_feed_shows_every_change,
    an_unknown_channel_and_a_bad_signature_look_the_same,
    a_signed_delivery_is_processed,
    a_signed_body_altered_in_transit_is_refused,
    a_body_that_is_not_json_is_400,
    a_body_over_the_limit_is_413,
    refused_deliveries_store_nothing,
    events_ventros_does_not_act_on_are_kept_and_acknowledged,
);

const IMAGE: &str = "webhook-message-image-noweb-captured.json";
const SECRET: &str = "a-long-webhook-hmac-secret";

/// A tenant with an unsigned channel: the key and the channel id.
async fn unsigned(app: &TestApp) -> (String, String) {
    let t = app.tenant("acme").await;
    let ch = app.channel(&t.api_key, None).await;
    (t.api_key, ch["id"].as_str().unwrap().to_string())
}

/// …with the image fixture delivered; the contact.
async fn with_image(app: &TestApp) -> (String, String, Value) {
    let (k, id) = unsigned(app).await;
    let (s, v) = app.webhook(&id, &fixture(IMAGE), &[]).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("processed"))
    );
    let contacts = app.list("/v1/contacts?phone=79069471990", &k).await;
    assert_eq!(contacts.len(), 1);
    (k, id, contacts[0].clone())
}

/// A tenant with a channel that signs its webhooks; the key and the channel id.
async fn signed(app: &TestApp) -> (String, String) {
    let t = app.tenant("acme").await;
    let ch = app.channel(&t.api_key, Some(SECRET)).await;
    assert_eq!(ch["webhook_signed"], true);
    (t.api_key, ch["id"].as_str().unwrap().to_string())
}

fn text() -> Vec<u8> {
    sample::text_message(
        Some("evt_sig"),
        "5511999998888",
        "SIG1",
        false,
        "hi",
        1_700_000_000,
    )
}

async fn a_channel_shows_its_webhook_url_and_never_its_secrets(app: &TestApp) {
    let t = app.tenant("acme").await;
    let ch = app.channel(&t.api_key, None).await;
    let id = ch["id"].as_str().unwrap();
    assert_eq!(
        ch["webhook_url"],
        json!(format!("{}/webhooks/waha/{id}", app.base))
    );
    assert_eq!(ch["status"], "UNKNOWN");
    assert!(
        ch.get("api_key").is_none() && !ch.to_string().contains("waha-secret"),
        "secrets never come back"
    );
}

async fn a_session_status_webhook_sets_the_channel_status(app: &TestApp) {
    let (k, id) = unsigned(app).await;
    let (s, v) = app
        .webhook(&id, &fixture("webhook-session-status-working.json"), &[])
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("processed"))
    );
    let (_, c) = app.get(&format!("/v1/channels/{id}"), &k).await;
    assert_eq!(c["status"], "WORKING");
}

async fn an_image_message_is_stored_with_its_media(app: &TestApp) {
    let (k, id, contact) = with_image(app).await;
    let cid = contact["id"].as_str().unwrap();
    let chats = app
        .list(&format!("/v1/chats?contact_id={cid}&channel_id={id}"), &k)
        .await;
    assert_eq!(chats.len(), 1);
    let (_, msgs) = app
        .get(
            &format!("/v1/chats/{}/messages", chats[0]["id"].as_str().unwrap()),
            &k,
        )
        .await;
    assert_eq!(msgs["next_cursor"], Value::Null);
    let m = &msgs["data"][0];
    assert_eq!(
        (
            m["direction"].as_str(),
            m["content_type"].as_str(),
            m["body"].as_str()
        ),
        (Some("inbound"), Some("image"), Some("Hi there's!"))
    );
    assert_eq!(m["media"]["mimetype"], "image/jpeg");
    let sessions = app
        .list(&format!("/v1/sessions?contact_id={cid}"), &k)
        .await;
    assert_eq!(sessions[0]["status"], "active");
    assert_eq!(sessions[0]["contact_messages"], 1);
}

/// WAHA retries: the same answer, nothing new.
async fn a_resent_delivery_is_a_duplicate(app: &TestApp) {
    let (k, id, _) = with_image(app).await;
    let (s, v) = app.webhook(&id, &fixture(IMAGE), &[]).await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );
    assert_eq!(app.list("/v1/messages", &k).await.len(), 1);
}

async fn the_phone_filter_takes_a_number_without_plus(app: &TestApp) {
    let (k, _, contact) = with_image(app).await;
    assert_eq!(contact["phone"], "+79069471990");
    let (_, same) = app
        .get(
            &format!("/v1/contacts/{}", contact["id"].as_str().unwrap()),
            &k,
        )
        .await;
    assert_eq!(same["id"], contact["id"]);
}

async fn the_timeline_is_written_once_the_relay_publishes(app: &TestApp) {
    let (k, _, contact) = with_image(app).await;
    let cid = contact["id"].as_str().unwrap();
    let events = format!("/v1/contacts/{cid}/events");
    assert_eq!(app.list(&events, &k).await.len(), 0);
    assert!(app.drain().await >= 6);
    let kinds: Vec<(String, String)> = app
        .list(&events, &k)
        .await
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().into(),
                e["category"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("contact.created".into(), "lifecycle".into()),
            ("session.started".into(), "conversation".into())
        ]
    );
    assert_eq!(
        app.list(
            &format!("{events}?type=session.started&category=conversation"),
            &k
        )
        .await
        .len(),
        1
    );
    assert_eq!(
        app.list(&format!("{events}?category=call"), &k).await.len(),
        0
    );
}

async fn the_event_feed_shows_every_change(app: &TestApp) {
    let (k, id) = unsigned(app).await;
    app.webhook(&id, &fixture("webhook-session-status-working.json"), &[])
        .await;
    app.webhook(&id, &fixture(IMAGE), &[]).await;
    let types = app.event_types(&k).await;
    for ty in [
        "tenant.created",
        "channel.created",
        "channel.status_changed",
        "contact.created",
        "chat.created",
        "session.started",
        "message.received",
    ] {
        assert!(types.iter().any(|t| t == ty), "{ty} missing from {types:?}");
    }
    let (_, ready) = app.call(Method::GET, "/ready", None, None).await;
    assert_eq!(ready["outbox"]["pending"], 0);
}

async fn an_unknown_channel_and_a_bad_signature_look_the_same(app: &TestApp) {
    let (_, id) = signed(app).await;
    let body = text();
    let (s_missing, v_missing) = app.webhook(&id, &body, &[]).await;
    let (s_bad, v_bad) = app
        .webhook(&id, &body, &[("x-webhook-hmac", &"0".repeat(128))])
        .await;
    let (s_unknown, v_unknown) = app
        .webhook(&uuid::Uuid::now_v7().to_string(), &body, &[])
        .await;
    let (s_garbage, v_garbage) = app.webhook("not-a-uuid", &body, &[]).await;
    for (s, v) in [
        (s_missing, &v_missing),
        (s_bad, &v_bad),
        (s_unknown, &v_unknown),
        (s_garbage, &v_garbage),
    ] {
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(
            v, &v_missing,
            "unknown channel and bad signature look the same"
        );
    }
    assert_eq!(v_missing["error"]["code"], "unauthorized");
}

async fn a_signed_delivery_is_processed(app: &TestApp) {
    let (_, id) = signed(app).await;
    let body = text();
    let (s, v) = app
        .webhook(
            &id,
            &body,
            &[
                ("x-webhook-hmac", &sign_hex(SECRET, &body)),
                ("x-webhook-hmac-algorithm", "sha512"),
            ],
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("processed"))
    );
}

async fn a_signed_body_altered_in_transit_is_refused(app: &TestApp) {
    let (_, id) = signed(app).await;
    let body = text();
    let sig = sign_hex(SECRET, &body);
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        app.webhook(&id, &tampered, &[("x-webhook-hmac", &sig)])
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_body_that_is_not_json_is_400(app: &TestApp) {
    let (_, id) = signed(app).await;
    let bad_json = b"{not json";
    let (s, v) = app
        .webhook(
            &id,
            bad_json,
            &[("x-webhook-hmac", &sign_hex(SECRET, bad_json))],
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );
}

/// A body declared bigger than the limit (64 KiB in tests) is refused before it is read.
/// Sent by hand with no body, so the answer is read before the server closes the
/// connection (an unread body makes the close a reset that could hide the answer).
async fn a_body_over_the_limit_is_413(app: &TestApp) {
    let (_, id) = signed(app).await;
    let addr = app.base.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST /webhooks/waha/{id} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        70 * 1024
    );
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(10),
        conn.read_to_end(&mut answer),
    )
    .await
    .expect("an answer before the body")
    .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    let v: Value = serde_json::from_str(body.trim()).unwrap();
    assert_eq!(code(&v), Some("payload_too_large"));
}

/// Every refused delivery leaves no message behind: only the one signed delivery counts.
async fn refused_deliveries_store_nothing(app: &TestApp) {
    let (k, id) = signed(app).await;
    let body = text();
    let sig = sign_hex(SECRET, &body);
    app.webhook(&id, &body, &[]).await;
    app.webhook(&id, &body, &[("x-webhook-hmac", &"0".repeat(128))])
        .await;
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    app.webhook(&id, &tampered, &[("x-webhook-hmac", &sig)])
        .await;
    assert_eq!(
        app.webhook(&id, &body, &[("x-webhook-hmac", &sig)]).await.0,
        StatusCode::OK
    );
    let types = app.event_types(&k).await;
    assert_eq!(types.iter().filter(|t| *t == "message.received").count(), 1);
}

/// So WAHA does not retry them.
async fn events_ventros_does_not_act_on_are_kept_and_acknowledged(app: &TestApp) {
    let (_, id) = signed(app).await;
    let label = fixture("webhook-label-upsert.json");
    let (s, v) = app
        .webhook(
            &id,
            &label,
            &[("x-webhook-hmac", &sign_hex(SECRET, &label))],
        )
        .await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ignored")));
}
