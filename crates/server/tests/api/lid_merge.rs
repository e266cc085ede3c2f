//! Contacts first seen by their LID (`…@lid`, the number hidden): a background job asks
//! WAHA for the number, and the contact either gets it or is merged into the phone contact
//! that exists already, its chats, sessions, notes and timeline following the survivor.

use crate::both_backends;
use crate::helpers::TestApp;
use crate::sending::{Line, line, sim_inbound};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sim::Engine;

both_backends!(
    a_lid_contact_is_merged_into_its_phone_contact,
    a_lid_contact_without_a_twin_gets_its_number,
    a_lid_whose_number_is_unknown_stays_and_is_asked_again
);

const LID: &str = "99887766554433@lid";

/// The customer writes from their LID; the simulator knows their number when `pn` is set.
async fn write_from_lid(l: &Line, pn: Option<&str>, text: &str) {
    let http = reqwest::Client::new();
    let sim = l.sim.base_url();
    if let Some(pn) = pn {
        let r = http
            .post(format!("{sim}/sim/lids"))
            .json(&json!({"lid": LID, "pn": pn}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    sim_inbound(
        &l.sim,
        json!({"from": "0", "lid": LID, "text": text, "push_name": "Bia"}),
    )
    .await;
}

/// The contact known by the LID (looked up through its chat).
async fn lid_contact(app: &TestApp, l: &Line) -> String {
    let chats = app
        .list(&format!("/v1/chats?channel_id={}", l.channel), &l.key)
        .await;
    let chat = chats
        .iter()
        .find(|c| c["wa_chat_id"] == LID)
        .expect("the LID chat");
    chat["contact_id"].as_str().unwrap().to_string()
}

async fn phone_contact(app: &TestApp, l: &Line) -> Value {
    let chat = app
        .ok(Method::GET, &format!("/v1/chats/{}", l.chat), &l.key, None)
        .await;
    app.ok(
        Method::GET,
        &format!("/v1/contacts/{}", chat["contact_id"].as_str().unwrap()),
        &l.key,
        None,
    )
    .await
}

async fn a_lid_contact_is_merged_into_its_phone_contact(app: &TestApp) {
    // The customer is known by number (the line's first message); then writes from a device
    // that hides it, and an agent notes something on that LID contact.
    let l = line(app, "acme", Engine::Noweb).await;
    let phone = phone_contact(app, &l).await;
    let survivor = phone["id"].as_str().unwrap().to_string();
    write_from_lid(&l, None, "It's me again, from my tablet").await;
    let twin = lid_contact(app, &l).await;
    assert_ne!(twin, survivor, "two contacts until WAHA tells the number");
    app.ok(
        Method::POST,
        &format!("/v1/contacts/{twin}/notes"),
        &l.key,
        Some(json!({"body": "Asked about Sunday delivery"})),
    )
    .await;
    app.drain().await;

    // WAHA learns the number; the job armed with the LID contact merges it.
    let sim = l.sim.base_url();
    reqwest::Client::new()
        .post(format!("{sim}/sim/lids"))
        .json(&json!({"lid": LID, "pn": "5511977776666@c.us"}))
        .send()
        .await
        .unwrap();
    app.jobs().run_until_idle().await.unwrap();
    app.drain().await;

    let (s, _) = app.get(&format!("/v1/contacts/{twin}"), &l.key).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "the LID contact is gone");
    let merged = phone_contact(app, &l).await;
    assert_eq!(merged["id"], json!(survivor));
    assert_eq!(merged["lid"], json!(LID));
    let chats = app
        .list(&format!("/v1/chats?contact_id={survivor}"), &l.key)
        .await;
    assert_eq!(chats.len(), 2, "both chats follow the survivor: {chats:?}");
    let sessions = app
        .list(&format!("/v1/sessions?contact_id={survivor}"), &l.key)
        .await;
    assert_eq!(sessions.len(), 2);
    let notes = app
        .list(&format!("/v1/contacts/{survivor}/notes"), &l.key)
        .await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["body"], json!("Asked about Sunday delivery"));
    let timeline: Vec<String> = app
        .list(&format!("/v1/contacts/{survivor}/events"), &l.key)
        .await
        .iter()
        .map(|e| e["summary"].as_str().unwrap().to_string())
        .collect();
    assert!(
        timeline.contains(&format!("Merged with the contact first seen as {LID}")),
        "{timeline:?}"
    );
    assert_eq!(
        timeline
            .iter()
            .filter(|s| *s == "Conversation started")
            .count(),
        2,
        "the LID contact's timeline moved too: {timeline:?}"
    );
    let events = app.list("/v1/events?limit=200", &l.key).await;
    let merge = events
        .iter()
        .find(|e| e["type"] == "contact.merged")
        .expect("contact.merged");
    assert_eq!(merge["aggregate_id"], json!(survivor));
    assert_eq!(merge["payload"]["merged_contact_id"], json!(twin));

    // The next message from the LID lands on the survivor, and nothing is looked up again.
    write_from_lid(&l, None, "Thanks!").await;
    let chats = app
        .list(&format!("/v1/chats?contact_id={survivor}"), &l.key)
        .await;
    assert_eq!(chats.len(), 2);
    let contacts = app.list("/v1/contacts", &l.key).await;
    assert_eq!(contacts.len(), 1, "{contacts:?}");
}

async fn a_lid_contact_without_a_twin_gets_its_number(app: &TestApp) {
    let l = line(app, "acme", Engine::Gows).await;
    write_from_lid(&l, Some("5521966665555@c.us"), "Hello").await;
    let c = lid_contact(app, &l).await;
    app.jobs().run_until_idle().await.unwrap();
    let contact = app
        .ok(Method::GET, &format!("/v1/contacts/{c}"), &l.key, None)
        .await;
    assert_eq!(contact["phone"], json!("+5521966665555"));
    assert_eq!(contact["wa_id"], json!("5521966665555@c.us"));
    assert_eq!(contact["lid"], json!(LID));
    let events = app.list("/v1/events?limit=200", &l.key).await;
    assert!(
        events.iter().any(|e| e["type"] == "contact.updated"
            && e["aggregate_id"] == json!(c)
            && e["payload"]["changed"] == json!(["phone", "wa_id"])),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| e["type"] == "contact.merged"));
}

async fn a_lid_whose_number_is_unknown_stays_and_is_asked_again(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    write_from_lid(&l, None, "Hello").await;
    let c = lid_contact(app, &l).await;
    app.jobs().run_until_idle().await.unwrap();
    let contact = app
        .ok(Method::GET, &format!("/v1/contacts/{c}"), &l.key, None)
        .await;
    assert_eq!(contact["phone"], Value::Null, "WAHA did not know it yet");
    // A new session asks again, and by then WAHA knows.
    let sessions = app
        .list(&format!("/v1/sessions?contact_id={c}"), &l.key)
        .await;
    app.ok(
        Method::POST,
        &format!("/v1/sessions/{}/close", sessions[0]["id"].as_str().unwrap()),
        &l.key,
        Some(json!({"reason": "resolved"})),
    )
    .await;
    write_from_lid(&l, Some("5521966665555@c.us"), "Me again").await;
    app.jobs().run_until_idle().await.unwrap();
    let contact = app
        .ok(Method::GET, &format!("/v1/contacts/{c}"), &l.key, None)
        .await;
    assert_eq!(contact["phone"], json!("+5521966665555"));
}
