//! Profile pictures: fetched in the background when a contact's session starts, kept in the
//! media store, refreshed once stale, and announced only when they change.

use crate::both_backends;
use crate::helpers::TestApp;
use crate::sending::{inbound, line};
use axum::extract::{Path, State};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use ventros_waha::sim::Engine;

both_backends!(a_contacts_picture_is_kept_refreshed_and_announced_when_it_changes);

/// WhatsApp's picture server: files by name, and how often each was fetched.
#[derive(Default)]
struct Cdn {
    files: Mutex<HashMap<String, Vec<u8>>>,
    hits: Mutex<usize>,
}

async fn serve_file(
    State(c): State<Arc<Cdn>>,
    Path(name): Path<String>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    *c.hits.lock().unwrap() += 1;
    match c.files.lock().unwrap().get(&name).cloned() {
        Some(b) => ([("content-type", "image/jpeg")], b).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn cdn() -> (Arc<Cdn>, String) {
    let c = Arc::new(Cdn::default());
    let app = axum::Router::new()
        .route("/pp/{name}", axum::routing::get(serve_file))
        .with_state(c.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (c, base)
}

async fn a_contacts_picture_is_kept_refreshed_and_announced_when_it_changes(app: &TestApp) {
    let (cdn, base) = cdn().await;
    cdn.files
        .lock()
        .unwrap()
        .insert("a.jpg".into(), b"picture A".to_vec());
    let l = line(app, "acme", Engine::Noweb).await;
    let set_picture = |url: Option<String>| {
        let sim = l.sim.base_url();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{sim}/sim/pictures"))
                .json(&json!({"contact": "5511977776666@c.us", "url": url}))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success());
        }
    };
    set_picture(Some(format!("{base}/pp/a.jpg"))).await;
    let chat = app
        .ok(Method::GET, &format!("/v1/chats/{}", l.chat), &l.key, None)
        .await;
    let contact = chat["contact_id"].as_str().unwrap().to_string();
    let path = format!("/v1/contacts/{contact}/picture");
    let (s, _) = app.get(&path, &l.key).await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "not fetched in the webhook transaction"
    );
    app.jobs().run_until_idle().await.unwrap();
    let picture = |app: &TestApp| {
        let (url, key) = (format!("{}{path}", app.base), l.key.clone());
        let client = app.client.clone();
        async move {
            let r = client.get(url).bearer_auth(key).send().await.unwrap();
            (r.status(), r.bytes().await.unwrap().to_vec())
        }
    };
    assert_eq!(picture(app).await, (StatusCode::OK, b"picture A".to_vec()));
    app.drain().await;
    assert_eq!(
        updates(app, &l.key, &contact).await,
        ["Profile picture updated"]
    );

    // A new session within the refresh window asks nothing; a later one finds the same
    // picture and says nothing; a changed one is kept and announced; a removed one too.
    let hits = *cdn.hits.lock().unwrap();
    new_session(app, &l, "again").await;
    assert_eq!(*cdn.hits.lock().unwrap(), hits, "fresh: WhatsApp not asked");
    app.advance(Duration::hours(25));
    new_session(app, &l, "next day").await;
    assert_eq!(*cdn.hits.lock().unwrap(), hits + 1, "stale: asked again");
    assert_eq!(
        updates(app, &l.key, &contact).await.len(),
        1,
        "unchanged: no event"
    );
    cdn.files
        .lock()
        .unwrap()
        .insert("b.jpg".into(), b"picture B".to_vec());
    set_picture(Some(format!("{base}/pp/b.jpg"))).await;
    app.advance(Duration::hours(25));
    new_session(app, &l, "new look").await;
    assert_eq!(picture(app).await, (StatusCode::OK, b"picture B".to_vec()));
    assert_eq!(updates(app, &l.key, &contact).await.len(), 2);
    set_picture(None).await;
    app.advance(Duration::hours(25));
    new_session(app, &l, "hidden").await;
    assert_eq!(picture(app).await.0, StatusCode::NOT_FOUND);
    let u = updates(app, &l.key, &contact).await;
    assert_eq!(u.len(), 3);
    assert!(u.contains(&"Profile picture removed".to_string()), "{u:?}");
    let types = app.event_types(&l.key).await;
    assert_eq!(
        types
            .iter()
            .filter(|t| *t == "contact.profile_picture_updated")
            .count(),
        3
    );
}

/// The summaries of the contact's `profile` timeline entries.
async fn updates(app: &TestApp, key: &str, contact: &str) -> Vec<String> {
    app.list(
        &format!("/v1/contacts/{contact}/events?category=profile"),
        key,
    )
    .await
    .iter()
    .map(|e| e["summary"].as_str().unwrap().to_string())
    .collect()
}

/// Ends the active session and lets the customer open a new one; runs what it armed.
async fn new_session(app: &TestApp, l: &crate::sending::Line, text: &str) {
    let active: Vec<Value> = app.list("/v1/sessions?status=active", &l.key).await;
    for x in active {
        app.ok(
            Method::POST,
            &format!("/v1/sessions/{}/close", x["id"].as_str().unwrap()),
            &l.key,
            Some(json!({"reason": "resolved"})),
        )
        .await;
    }
    inbound(&l.sim, "5511977776666", text).await;
    app.jobs().run_until_idle().await.unwrap();
    app.drain().await;
}
