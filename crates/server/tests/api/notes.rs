//! Notes on contacts and sessions, and the contact timeline they feed.

use crate::both_backends;
use crate::helpers::{Conversation, TestApp, conversation, id};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    a_note_on_a_contact_is_signed_by_its_author,
    a_note_on_a_session_belongs_to_its_contact,
    a_blank_note_is_422,
    notes_are_listed_per_contact_and_per_session,
    notes_reach_the_timeline,
    the_timeline_filters_by_type,
    a_deleted_note_is_gone,
);

async fn setup(app: &TestApp) -> (String, Conversation) {
    let k = app.tenant("acme").await.api_key;
    let conv = conversation(app, &k, "5511966665555").await;
    (k, conv)
}

async fn note(app: &TestApp, k: &str, path: &str, body: &str) -> Value {
    let (s, n) = app.post(path, k, json!({"body": body})).await;
    assert_eq!(s, StatusCode::CREATED, "{n}");
    n
}

async fn both(app: &TestApp, k: &str, conv: &Conversation) -> (Value, Value) {
    (
        note(
            app,
            k,
            &format!("/v1/contacts/{}/notes", conv.contact),
            "Prefers calls after 6pm",
        )
        .await,
        note(
            app,
            k,
            &format!("/v1/sessions/{}/notes", conv.session),
            "Asked about the price",
        )
        .await,
    )
}

async fn a_note_on_a_contact_is_signed_by_its_author(app: &TestApp) {
    let (k, conv) = setup(app).await;
    let (n1, _) = both(app, &k, &conv).await;
    assert!(n1["author"].as_str().unwrap().starts_with("api_key:"));
}

async fn a_note_on_a_session_belongs_to_its_contact(app: &TestApp) {
    let (k, conv) = setup(app).await;
    let (_, n2) = both(app, &k, &conv).await;
    assert_eq!(n2["contact_id"], json!(conv.contact));
}

async fn a_blank_note_is_422(app: &TestApp) {
    let (k, conv) = setup(app).await;
    let (s, _) = app
        .post(
            &format!("/v1/contacts/{}/notes", conv.contact),
            &k,
            json!({"body": "   "}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn notes_are_listed_per_contact_and_per_session(app: &TestApp) {
    let (k, conv) = setup(app).await;
    both(app, &k, &conv).await;
    assert_eq!(
        app.list(&format!("/v1/contacts/{}/notes", conv.contact), &k)
            .await
            .len(),
        2
    );
    assert_eq!(
        app.list(&format!("/v1/sessions/{}/notes", conv.session), &k)
            .await
            .len(),
        1
    );
}

async fn notes_reach_the_timeline(app: &TestApp) {
    let (k, conv) = setup(app).await;
    both(app, &k, &conv).await;
    app.drain().await;
    let tl = app
        .list(
            &format!("/v1/contacts/{}/events?category=note", conv.contact),
            &k,
        )
        .await;
    let summaries: Vec<&str> = tl.iter().map(|e| e["summary"].as_str().unwrap()).collect();
    assert_eq!(
        summaries,
        [
            "Note: Prefers calls after 6pm",
            "Note: Asked about the price"
        ]
    );
}

async fn the_timeline_filters_by_type(app: &TestApp) {
    let (k, conv) = setup(app).await;
    both(app, &k, &conv).await;
    app.drain().await;
    let tl = app
        .list(
            &format!("/v1/contacts/{}/events?type=session.started", conv.contact),
            &k,
        )
        .await;
    assert_eq!(tl.len(), 1);
}

async fn a_deleted_note_is_gone(app: &TestApp) {
    let (k, conv) = setup(app).await;
    let (n1, _) = both(app, &k, &conv).await;
    let path = format!("/v1/notes/{}", id(&n1));
    assert_eq!(app.delete(&path, &k).await, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&path, &k).await, StatusCode::NOT_FOUND);
    assert_eq!(
        app.list(&format!("/v1/contacts/{}/notes", conv.contact), &k)
            .await
            .len(),
        1
    );
}
