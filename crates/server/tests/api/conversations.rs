//! Chats, sessions and messages as read through the API, with their filters.

use crate::both_backends;
use crate::helpers::{Conversation, TestApp, conversation};
use reqwest::StatusCode;

both_backends!(
    messages_are_filtered_by_chat_and_direction,
    messages_are_filtered_by_channel,
    messages_are_filtered_by_time_sent,
    an_unknown_session_filter_is_404,
    an_unknown_direction_is_422,
    a_message_is_read_by_id,
    messages_are_read_per_session_and_per_contact,
    a_session_shows_its_counters,
    sessions_are_filtered_by_status_channel_agent_and_time,
    chats_are_filtered_by_contact_and_time,
    a_chat_shows_its_participants,
);

/// Two conversations on two channels: `a` (5511944443333) and `b` (5511933332222), each an
/// inbound message and a reply 60 s later.
async fn two(app: &TestApp) -> (String, Conversation, Conversation) {
    let k = app.tenant("acme").await.api_key;
    let a = conversation(app, &k, "5511944443333").await;
    let b = conversation(app, &k, "5511933332222").await;
    (k, a, b)
}

async fn count(app: &TestApp, path: &str, k: &str) -> usize {
    app.list(path, k).await.len()
}

async fn messages_are_filtered_by_chat_and_direction(app: &TestApp) {
    let (k, a, _) = two(app).await;
    assert_eq!(count(app, "/v1/messages", &k).await, 4);
    assert_eq!(
        count(app, &format!("/v1/messages?chat_id={}", a.chat), &k).await,
        2
    );
    let inbound = app
        .list(
            &format!("/v1/messages?chat_id={}&direction=inbound", a.chat),
            &k,
        )
        .await;
    assert_eq!(
        (inbound.len(), inbound[0]["id"].as_str()),
        (1, Some(a.inbound.as_str()))
    );
    assert_eq!(count(app, "/v1/messages?direction=outbound", &k).await, 2);
}

async fn messages_are_filtered_by_channel(app: &TestApp) {
    let (k, _, b) = two(app).await;
    assert_eq!(
        count(app, &format!("/v1/messages?channel_id={}", b.channel), &k).await,
        2
    );
}

async fn messages_are_filtered_by_time_sent(app: &TestApp) {
    let (k, _, _) = two(app).await;
    assert_eq!(
        count(app, "/v1/messages?sent_after=2023-11-14T22:13:30Z", &k).await,
        2,
        "only the replies sent 60 s later"
    );
    assert_eq!(
        count(app, "/v1/messages?sent_before=2023-11-14T22:13:30Z", &k).await,
        2
    );
}

async fn an_unknown_session_filter_is_404(app: &TestApp) {
    let (k, _, _) = two(app).await;
    let (s, _) = app
        .get(
            &format!("/v1/messages?session_id={}", uuid::Uuid::now_v7()),
            &k,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

async fn an_unknown_direction_is_422(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (s, _) = app.get("/v1/messages?direction=sideways", &k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn a_message_is_read_by_id(app: &TestApp) {
    let (k, a, _) = two(app).await;
    let (_, m) = app.get(&format!("/v1/messages/{}", a.outbound), &k).await;
    assert_eq!(
        (m["direction"].as_str(), m["body"].as_str()),
        (Some("outbound"), Some("hi, how can I help?"))
    );
}

async fn messages_are_read_per_session_and_per_contact(app: &TestApp) {
    let (k, a, _) = two(app).await;
    assert_eq!(
        count(app, &format!("/v1/sessions/{}/messages", a.session), &k).await,
        2
    );
    assert_eq!(
        count(app, &format!("/v1/contacts/{}/messages", a.contact), &k).await,
        2
    );
}

async fn a_session_shows_its_counters(app: &TestApp) {
    let (k, a, _) = two(app).await;
    let (_, s1) = app.get(&format!("/v1/sessions/{}", a.session), &k).await;
    assert_eq!(
        (s1["status"].as_str(), s1["contact_messages"].as_i64()),
        (Some("active"), Some(1))
    );
}

async fn sessions_are_filtered_by_status_channel_agent_and_time(app: &TestApp) {
    let (k, a, _) = two(app).await;
    assert_eq!(count(app, "/v1/sessions?status=active", &k).await, 2);
    assert_eq!(count(app, "/v1/sessions?status=ended", &k).await, 0);
    assert_eq!(
        count(app, &format!("/v1/sessions?channel_id={}", a.channel), &k).await,
        1
    );
    assert_eq!(
        count(
            app,
            &format!("/v1/sessions?agent_id={}", uuid::Uuid::now_v7()),
            &k
        )
        .await,
        0
    );
    assert_eq!(
        count(app, "/v1/sessions?started_before=2000-01-01T00:00:00Z", &k).await,
        0
    );
}

async fn chats_are_filtered_by_contact_and_time(app: &TestApp) {
    let (k, a, _) = two(app).await;
    assert_eq!(
        count(app, &format!("/v1/chats?contact_id={}", a.contact), &k).await,
        1
    );
    assert_eq!(
        count(app, "/v1/chats?created_after=2100-01-01T00:00:00Z", &k).await,
        0
    );
}

async fn a_chat_shows_its_participants(app: &TestApp) {
    let (k, a, _) = two(app).await;
    let (_, c) = app.get(&format!("/v1/chats/{}", a.chat), &k).await;
    assert!(c["participants"].is_array() && c["wa_chat_id"].is_string());
}
