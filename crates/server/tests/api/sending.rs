//! Answering customers through the WAHA simulator: a send is accepted at once, leaves through
//! the send saga exactly once whatever WAHA does, and its echo is never a second message.

use crate::activation::channel_on;
use crate::both_backends;
use crate::helpers::{TestApp, code, field, id};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sim::{EchoTiming, Engine, Fault, Served, SimConfig, Simulator};

both_backends!(
    a_text_is_accepted_at_once_then_sent_and_confirmed_once,
    every_engine_attaches_the_echo_whichever_comes_first,
    a_refusal_fails_the_send_at_once_with_wahas_reason,
    a_server_error_is_retried_and_the_message_sent_once,
    a_lost_answer_is_settled_by_asking_waha_not_by_sending_again,
    without_reserved_ids_a_lost_answer_is_never_sent_twice,
    a_send_never_confirmed_fails_with_a_compensating_event,
    a_restart_between_reserving_and_sending_sends_once,
    sends_of_a_chat_leave_in_order_and_a_channel_is_paced,
    every_kind_reaches_waha_in_its_shape,
    an_inactive_channel_a_foreign_reply_and_bad_content_are_refused,
    an_agents_send_is_a_reply_credited_to_that_agent,
    a_session_leaving_working_holds_sends_until_it_is_back,
    a_contact_is_reached_on_the_chat_whatsapp_names,
    a_number_not_on_whatsapp_is_refused_and_a_known_chat_goes_on,
    an_agent_reacts_edits_and_deletes_through_waha,
    what_cannot_be_edited_or_deleted_is_refused_and_waha_untouched,
    a_chat_is_marked_seen_and_shows_typing,
);

/// An active channel on a simulator of `engine`, with a chat a customer opened.
pub struct Line {
    pub sim: Served,
    pub key: String,
    pub channel: String,
    pub chat: String,
}

pub async fn line(app: &TestApp, tenant: &str, engine: Engine) -> Line {
    let key = app.tenant(tenant).await.api_key;
    let sim = Simulator::spawn(
        SimConfig {
            engine,
            ..SimConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    sim.sim.set_echo(EchoTiming::Before);
    let channel = channel_on(app, &key, &sim.base_url(), "default", None).await;
    for step in ["webhook", "activate"] {
        let (s, v) = app
            .call(
                Method::POST,
                &format!("/v1/channels/{channel}/{step}"),
                Some(&key),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{step}: {v}");
    }
    let posted = inbound(&sim, "5511977776666", "Do you deliver on Sundays?").await;
    assert_eq!(posted["webhook_statuses"], json!([200]), "{posted}");
    let chats = app
        .list(&format!("/v1/chats?channel_id={channel}"), &key)
        .await;
    assert_eq!(chats.len(), 1);
    Line {
        chat: id(&chats[0]),
        sim,
        key,
        channel,
    }
}

/// A customer's message, through the simulator's webhook.
pub async fn inbound(sim: &Served, from: &str, text: &str) -> Value {
    sim_inbound(sim, json!({"from": from, "text": text})).await
}

/// Has the simulator post a customer's message (`POST /sim/inbound`) and checks that
/// Ventros took it; the simulator's answer.
pub async fn sim_inbound(sim: &Served, body: Value) -> Value {
    let posted: Value = reqwest::Client::new()
        .post(format!("{}/sim/inbound", sim.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(posted["webhook_statuses"], json!([200]), "{posted}");
    posted
}

pub async fn send(app: &TestApp, l: &Line, body: Value) -> Value {
    let (s, v) = app
        .post(&format!("/v1/chats/{}/messages", l.chat), &l.key, body)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    v
}

async fn message(app: &TestApp, l: &Line, id: &str) -> Value {
    app.ok(Method::GET, &format!("/v1/messages/{id}"), &l.key, None)
        .await
}

/// The message once `done` holds for it; the simulator's echo and acks arrive on their own
/// time, so this waits for them (at most 10 s) instead of guessing a delay.
async fn once(app: &TestApp, l: &Line, id: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let m = message(app, l, id).await;
        if done(&m) {
            return m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "message {id} never got there: {}",
        message(app, l, id).await
    );
}

fn confirmed(m: &Value) -> bool {
    !m["confirmed_at"].is_null()
}

async fn outbound_in_chat(app: &TestApp, l: &Line) -> Vec<Value> {
    app.list(&format!("/v1/chats/{}/messages", l.chat), &l.key)
        .await
        .into_iter()
        .filter(|m| m["direction"] == "outbound")
        .collect()
}

/// The types of the events about one aggregate, in order.
async fn events_of(app: &TestApp, key: &str, aggregate: &str) -> Vec<String> {
    app.drain().await;
    app.list("/v1/events?limit=200", key)
        .await
        .iter()
        .filter(|e| e["aggregate_id"] == aggregate)
        .map(|e| e["type"].as_str().unwrap().to_string())
        .collect()
}

async fn run_jobs(app: &TestApp) -> usize {
    app.jobs().run_until_idle().await.unwrap()
}

async fn a_text_is_accepted_at_once_then_sent_and_confirmed_once(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let m = send(app, &l, json!({"type": "text", "text": "Yes, until 6pm!"})).await;
    assert_eq!(m["direction"], "outbound");
    assert_eq!(m["status"], "pending");
    assert_eq!(m["sender_kind"], "bot", "an API key sends as a bot");
    assert_eq!(m["body"], "Yes, until 6pm!");
    assert!(m["confirmed_at"].is_null() && m["failure"].is_null());
    let agent = app
        .ok(
            Method::GET,
            &format!("/v1/agents/{}", m["agent_id"].as_str().unwrap()),
            &l.key,
            None,
        )
        .await;
    assert_eq!(agent["kind"], "bot");
    assert!(l.sim.sim.sent().is_empty(), "accepted before it leaves");
    let mid = id(&m);
    run_jobs(app).await;
    let sent = l.sim.sim.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].request["text"], "Yes, until 6pm!");
    assert_eq!(sent[0].chat_id, "5511977776666@c.us");
    let after = message(app, &l, &mid).await;
    assert!(confirmed(&after), "{after}");
    assert_eq!(after["provider_id"], json!(sent[0].id));
    assert_eq!(
        outbound_in_chat(app, &l).await.len(),
        1,
        "the echo is not a second message"
    );
    let inbound = &app
        .list(&format!("/v1/chats/{}/messages", l.chat), &l.key)
        .await[0];
    assert_eq!(
        after["session_id"], inbound["session_id"],
        "answered in the open session"
    );
    let evs = events_of(app, &l.key, &mid).await;
    for t in ["message.queued", "message.sent", "message.confirmed"] {
        assert_eq!(evs.iter().filter(|e| *e == t).count(), 1, "{t} in {evs:?}");
    }
    assert_eq!(evs[0], "message.queued");
    // The acks that follow move it on as they do for any message.
    let read = once(app, &l, &mid, |m| m["status"] == "read").await;
    assert!(confirmed(&read));
}

async fn every_engine_attaches_the_echo_whichever_comes_first(app: &TestApp) {
    for engine in [Engine::Noweb, Engine::Gows, Engine::Webjs] {
        for echo in [EchoTiming::Before, EchoTiming::After] {
            let tenant = format!("t-{}-{echo:?}", engine.name()).to_lowercase();
            let l = line(app, &tenant, engine).await;
            l.sim.sim.set_echo(echo);
            let m = send(app, &l, json!({"type": "text", "text": "On our way"})).await;
            run_jobs(app).await;
            let done = once(app, &l, &id(&m), confirmed).await;
            let sent = l.sim.sim.sent();
            assert_eq!(sent.len(), 1, "{engine:?} {echo:?}");
            assert_eq!(
                done["provider_id"],
                json!(sent[0].id),
                "{engine:?} {echo:?}"
            );
            let out = outbound_in_chat(app, &l).await;
            assert_eq!(out.len(), 1, "{engine:?} {echo:?}: {out:?}");
            let evs = events_of(app, &l.key, &id(&m)).await;
            assert_eq!(
                evs.iter().filter(|e| *e == "message.sent").count(),
                1,
                "{engine:?} {echo:?}: {evs:?}"
            );
        }
    }
}

async fn a_refusal_fails_the_send_at_once_with_wahas_reason(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    l.sim.sim.fail_next(&[Fault::Refuse]);
    let m = send(app, &l, json!({"type": "text", "text": "hello"})).await;
    run_jobs(app).await;
    let after = message(app, &l, &id(&m)).await;
    assert_eq!(after["status"], "failed", "{after}");
    assert_eq!(after["failure"]["code"], "refused");
    assert_eq!(after["failure"]["attempts"], 1);
    assert!(
        after["failure"]["message"]
            .as_str()
            .unwrap()
            .contains("Session status is not as expected"),
        "{after}"
    );
    assert!(l.sim.sim.sent().is_empty());
    let evs = events_of(app, &l.key, &id(&m)).await;
    assert_eq!(evs, ["message.queued", "message.failed"]);
    // Nothing is left to retry.
    let pending = app.list("/v1/jobs?status=pending", &l.key).await;
    assert!(
        pending
            .iter()
            .all(|j| !j["kind"].as_str().unwrap().starts_with("message.")),
        "{pending:?}"
    );
}

async fn a_server_error_is_retried_and_the_message_sent_once(app: &TestApp) {
    let l = line(app, "acme", Engine::Gows).await;
    l.sim.sim.fail_next(&[Fault::ServerError]);
    let m = send(app, &l, json!({"type": "text", "text": "hello"})).await;
    run_jobs(app).await;
    assert_eq!(message(app, &l, &id(&m)).await["status"], "pending");
    let jobs = app.list("/v1/jobs?status=pending", &l.key).await;
    let job = jobs.iter().find(|j| j["kind"] == "message.send").unwrap();
    assert!(
        job["last_error"].as_str().unwrap().contains("unknown"),
        "{job}"
    );
    app.advance(Duration::minutes(5));
    run_jobs(app).await;
    let after = message(app, &l, &id(&m)).await;
    assert!(confirmed(&after), "{after}");
    assert_eq!(l.sim.sim.sent().len(), 1);
}

async fn a_lost_answer_is_settled_by_asking_waha_not_by_sending_again(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    l.sim.sim.set_echo(EchoTiming::Never);
    l.sim.sim.fail_next(&[Fault::TimeoutAfterSend]);
    let m = send(app, &l, json!({"type": "text", "text": "hello"})).await;
    run_jobs(app).await;
    assert_eq!(
        l.sim.sim.sent().len(),
        1,
        "it went out, the answer was lost"
    );
    assert_eq!(message(app, &l, &id(&m)).await["status"], "pending");
    app.advance(Duration::minutes(5));
    run_jobs(app).await;
    let after = message(app, &l, &id(&m)).await;
    assert!(confirmed(&after), "found in WAHA: {after}");
    assert_eq!(l.sim.sim.sent().len(), 1, "exactly one WhatsApp message");
    assert_eq!(after["provider_id"], json!(l.sim.sim.sent()[0].id));
}

async fn without_reserved_ids_a_lost_answer_is_never_sent_twice(app: &TestApp) {
    let l = line(app, "acme", Engine::Webjs).await;
    l.sim.sim.set_echo(EchoTiming::Never);
    l.sim.sim.fail_next(&[Fault::TimeoutAfterSend]);
    let m = send(app, &l, json!({"type": "text", "text": "hello"})).await;
    run_jobs(app).await;
    app.advance(Duration::seconds(30));
    run_jobs(app).await;
    assert_eq!(
        message(app, &l, &id(&m)).await["status"],
        "pending",
        "waiting for the echo"
    );
    app.advance(Duration::seconds(61));
    run_jobs(app).await;
    let after = message(app, &l, &id(&m)).await;
    assert_eq!(after["status"], "failed", "{after}");
    assert_eq!(after["failure"]["code"], "unconfirmed");
    assert_eq!(l.sim.sim.sent().len(), 1, "never sent a second time");
}

async fn a_send_never_confirmed_fails_with_a_compensating_event(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    l.sim.sim.fail_next(&[Fault::Lost]);
    let m = send(app, &l, json!({"type": "text", "text": "hello"})).await;
    run_jobs(app).await;
    let sent = message(app, &l, &id(&m)).await;
    assert_eq!(sent["status"], "sent", "WAHA accepted it: {sent}");
    assert!(sent["confirmed_at"].is_null());
    app.advance(Duration::seconds(59));
    run_jobs(app).await;
    assert_eq!(message(app, &l, &id(&m)).await["status"], "sent");
    app.advance(Duration::seconds(2));
    run_jobs(app).await;
    let after = message(app, &l, &id(&m)).await;
    assert_eq!(after["status"], "failed", "{after}");
    assert_eq!(after["failure"]["code"], "unconfirmed");
    let evs = events_of(app, &l.key, &id(&m)).await;
    assert_eq!(evs, ["message.queued", "message.sent", "message.failed"]);
    assert_eq!(l.sim.sim.sent().len(), 1);
}

async fn a_restart_between_reserving_and_sending_sends_once(app: &TestApp) {
    // The worker died after marking the send as possibly sent: the next run finds it so
    // and asks WAHA before anything else. First when the call never happened...
    let l = line(app, "acme", Engine::Noweb).await;
    l.sim.sim.fail_next(&[Fault::TimeoutBeforeSend]);
    let m = send(app, &l, json!({"type": "text", "text": "first"})).await;
    run_jobs(app).await;
    assert!(l.sim.sim.sent().is_empty());
    app.advance(Duration::minutes(5));
    run_jobs(app).await;
    assert!(confirmed(&message(app, &l, &id(&m)).await));
    assert_eq!(
        l.sim.sim.sent().len(),
        1,
        "not there: sent with the same reserved id"
    );
    // ...then when it did, and the answer died with the worker.
    l.sim.sim.fail_next(&[Fault::TimeoutAfterSend]);
    let m2 = send(app, &l, json!({"type": "text", "text": "second"})).await;
    run_jobs(app).await;
    app.advance(Duration::minutes(5));
    run_jobs(app).await;
    assert!(confirmed(&message(app, &l, &id(&m2)).await));
    assert_eq!(l.sim.sim.sent().len(), 2);
}

async fn sends_of_a_chat_leave_in_order_and_a_channel_is_paced(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let (s, _) = app
        .patch(
            &format!("/v1/channels/{}", l.channel),
            &l.key,
            json!({"max_messages_per_minute": 3}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let mut ids = Vec::new();
    for i in 0..5 {
        let m = send(
            app,
            &l,
            json!({"type": "text", "text": format!("part {i}")}),
        )
        .await;
        ids.push(id(&m));
    }
    run_jobs(app).await;
    let texts = |l: &Line| -> Vec<String> {
        l.sim
            .sim
            .sent()
            .iter()
            .map(|s| s.request["text"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(texts(&l), ["part 0", "part 1", "part 2"], "paced, in order");
    assert_eq!(
        message(app, &l, &ids[3]).await["status"],
        "pending",
        "waits, not refused"
    );
    app.advance(Duration::seconds(61));
    run_jobs(app).await;
    // Each waits its turn behind the one before it.
    for _ in 0..3 {
        app.advance(Duration::seconds(2));
        run_jobs(app).await;
    }
    assert_eq!(
        texts(&l),
        ["part 0", "part 1", "part 2", "part 3", "part 4"]
    );
    for i in &ids {
        assert!(confirmed(&message(app, &l, i).await));
    }
}

async fn every_kind_reaches_waha_in_its_shape(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let inbound = app
        .list(&format!("/v1/chats/{}/messages", l.chat), &l.key)
        .await[0]
        .clone();
    let bodies = [
        (
            json!({"type": "text", "text": "see above", "reply_to": inbound["id"], "link_preview": false}),
            "sendText",
        ),
        (
            json!({"type": "image", "media": {"url": "https://cdn.example.com/menu.jpg"}, "caption": "Menu"}),
            "sendImage",
        ),
        (
            json!({"type": "file", "media": {"url": "https://cdn.example.com/a.pdf", "mimetype": "application/pdf", "filename": "quote.pdf"}}),
            "sendFile",
        ),
        (
            json!({"type": "voice", "media": {"url": "https://cdn.example.com/a.ogg"}}),
            "sendVoice",
        ),
        (
            json!({"type": "video", "media": {"url": "https://cdn.example.com/a.mp4"}}),
            "sendVideo",
        ),
        (
            json!({"type": "location", "latitude": -23.55, "longitude": -46.63, "title": "Shop"}),
            "sendLocation",
        ),
        (
            json!({"type": "contact_card", "contacts": [{"full_name": "Ana Lima", "phone": "+55 11 91234-5678"}]}),
            "sendContactVcard",
        ),
        (
            json!({"type": "poll", "name": "Delivery day?", "options": ["Sat", "Sun"]}),
            "sendPoll",
        ),
    ];
    for (body, _) in &bodies {
        send(app, &l, body.clone()).await;
    }
    run_jobs(app).await;
    let sent = l.sim.sim.sent();
    let kinds: Vec<&str> = sent.iter().map(|s| s.kind.as_str()).collect();
    assert_eq!(kinds, bodies.iter().map(|b| b.1).collect::<Vec<_>>());
    assert_eq!(sent[0].request["reply_to"], inbound["provider_id"]);
    assert_eq!(sent[0].request["linkPreview"], false);
    assert_eq!(
        sent[1].request["file"]["url"],
        "https://cdn.example.com/menu.jpg"
    );
    assert_eq!(sent[1].request["caption"], "Menu");
    assert_eq!(sent[2].request["file"]["filename"], "quote.pdf");
    assert_eq!(sent[5].request["latitude"], -23.55);
    assert_eq!(sent[7].request["poll"]["options"], json!(["Sat", "Sun"]));
    for m in outbound_in_chat(app, &l).await {
        assert!(confirmed(&m), "{m}");
    }
}

async fn an_inactive_channel_a_foreign_reply_and_bad_content_are_refused(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let path = format!("/v1/chats/{}/messages", l.chat);
    let (s, v) = app
        .post(&path, &l.key, json!({"type": "text", "text": "  "}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field(&v), Some("text"), "{v}");
    let (s, _) = app
        .post(&path, &l.key, json!({"type": "sticker", "text": "x"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app
        .post(
            &path,
            &l.key,
            json!({"type": "text", "text": "x", "reply_to": "0190d2a4-57b6-7cc0-8000-000000000001"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(field(&v), Some("reply_to"));
    let other = line(app, "other", Engine::Noweb).await;
    let (s, _) = app
        .post(
            &format!("/v1/chats/{}/messages", other.chat),
            &l.key,
            json!({"type": "text", "text": "x"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "another tenant's chat");
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/v1/channels/{}/deactivate", l.channel),
            Some(&l.key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = app
        .post(&path, &l.key, json!({"type": "text", "text": "x"}))
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert_eq!(code(&v), Some("channel_not_active"));
    assert_eq!(
        outbound_in_chat(app, &l).await.len(),
        0,
        "nothing half-written"
    );
    assert!(l.sim.sim.sent().is_empty());
}

async fn an_agents_send_is_a_reply_credited_to_that_agent(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let user = crate::helpers::create_user(app, &l.key, "ana@acme.test", "agent").await;
    let token = app.login("ana@acme.test", "agent password 1").await;
    let m = send_as(
        app,
        &l,
        &token,
        json!({"type": "text", "text": "Hi, Ana here"}),
    )
    .await;
    assert_eq!(m["sender_kind"], "agent");
    let agent = app
        .ok(
            Method::GET,
            &format!("/v1/agents/{}", m["agent_id"].as_str().unwrap()),
            &l.key,
            None,
        )
        .await;
    assert_eq!(agent["kind"], "human");
    assert_eq!(agent["user_id"], user["id"]);
    run_jobs(app).await;
    let sent = message(app, &l, &id(&m)).await;
    assert!(confirmed(&sent));
    // The same user sends as the same agent.
    let again = send_as(
        app,
        &l,
        &token,
        json!({"type": "text", "text": "Anything else?"}),
    )
    .await;
    assert_eq!(again["agent_id"], m["agent_id"]);
    run_jobs(app).await;
    let (s, _) = app
        .call(
            Method::POST,
            &format!(
                "/v1/sessions/{}/close",
                sent["session_id"].as_str().unwrap()
            ),
            Some(&l.key),
            Some(json!({"reason": "resolved"})),
        )
        .await;
    assert!(s.is_success(), "{s}");
    run_jobs(app).await;
    let session = app
        .ok(
            Method::GET,
            &format!("/v1/sessions/{}", sent["session_id"].as_str().unwrap()),
            &l.key,
            None,
        )
        .await;
    let metrics = &session["metrics"];
    assert_eq!(
        metrics["first_response_agent_id"], m["agent_id"],
        "{session}"
    );
    assert!(
        metrics["agent_first_response_seconds"].is_number(),
        "{session}"
    );
}

async fn send_as(app: &TestApp, l: &Line, token: &str, body: Value) -> Value {
    let (s, v) = app
        .post(&format!("/v1/chats/{}/messages", l.chat), token, body)
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    v
}

async fn a_session_leaving_working_holds_sends_until_it_is_back(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let status = |s: &'static str| {
        let url = format!("{}/sim/sessions/default/status", l.sim.base_url());
        let client = app.client.clone();
        async move {
            client
                .post(url)
                .json(&json!({"status": s}))
                .send()
                .await
                .unwrap();
        }
    };
    status("STARTING").await;
    let m = send(app, &l, json!({"type": "text", "text": "hello"})).await;
    run_jobs(app).await;
    assert!(
        l.sim.sim.sent().is_empty(),
        "waits while the session is not WORKING"
    );
    assert_eq!(message(app, &l, &id(&m)).await["status"], "pending");
    status("WORKING").await;
    app.advance(Duration::seconds(16));
    run_jobs(app).await;
    assert!(confirmed(&message(app, &l, &id(&m)).await));
}

async fn a_contact_is_reached_on_the_chat_whatsapp_names(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let (s, c) = app
        .post(
            "/v1/contacts",
            &l.key,
            json!({"name": "Bia", "phone": "+55 21 98888-7777"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let path = format!("/v1/contacts/{}/messages", id(&c));
    let body = json!({"channel_id": l.channel, "type": "text", "text": "Your order shipped"});
    let (s, m) = app.post(&path, &l.key, body.clone()).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
    let chat_id = m["chat_id"].as_str().unwrap();
    let chat = app
        .ok(Method::GET, &format!("/v1/chats/{chat_id}"), &l.key, None)
        .await;
    assert_eq!(
        chat["wa_chat_id"], "552188887777@c.us",
        "WhatsApp's own id: {chat}"
    );
    assert_eq!(chat["contact_id"], c["id"]);
    run_jobs(app).await;
    assert!(confirmed(&message(app, &l, &id(&m)).await));
    assert_eq!(l.sim.sim.sent()[0].chat_id, "552188887777@c.us");
    let (_, again) = app.post(&path, &l.key, body).await;
    assert_eq!(again["chat_id"], m["chat_id"], "the chat goes on");
    run_jobs(app).await;
    // The customer answers the session the agent started.
    // (WhatsApp times are whole seconds: the answer comes a few seconds later.)
    let later = chrono::Utc::now().timestamp() + 5;
    sim_inbound(
        &l.sim,
        json!({"from": "552188887777", "text": "Thanks!", "timestamp": later}),
    )
    .await;
    let sid = m["session_id"].as_str().unwrap();
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{sid}/close"),
            Some(&l.key),
            Some(json!({"reason": "resolved"})),
        )
        .await;
    assert!(s.is_success());
    run_jobs(app).await;
    let session = app
        .ok(Method::GET, &format!("/v1/sessions/{sid}"), &l.key, None)
        .await;
    assert_eq!(session["metrics"]["initiated_by"], "agent", "{session}");
    assert!(session["metrics"]["contact_first_response_seconds"].is_number());
}

async fn a_number_not_on_whatsapp_is_refused_and_a_known_chat_goes_on(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let (_, c) = app
        .post(
            "/v1/contacts",
            &l.key,
            json!({"name": "Nobody", "phone": "+1 555 010 9999"}),
        )
        .await;
    let absent: reqwest::Response = app
        .client
        .post(format!("{}/sim/absent", l.sim.base_url()))
        .json(&json!({"phone": "15550109999"}))
        .send()
        .await
        .unwrap();
    assert!(absent.status().is_success());
    let (s, v) = app
        .post(
            &format!("/v1/contacts/{}/messages", id(&c)),
            &l.key,
            json!({"channel_id": l.channel, "type": "text", "text": "hello"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(code(&v), Some("not_on_whatsapp"));
    let chats = app
        .list(&format!("/v1/chats?contact_id={}", id(&c)), &l.key)
        .await;
    assert!(chats.is_empty(), "nothing stored");
    // The customer who wrote first is answered on the chat they wrote from.
    let chat = app
        .ok(Method::GET, &format!("/v1/chats/{}", l.chat), &l.key, None)
        .await;
    let (s, m) = app
        .post(
            &format!(
                "/v1/contacts/{}/messages",
                chat["contact_id"].as_str().unwrap()
            ),
            &l.key,
            json!({"channel_id": l.channel, "type": "text", "text": "Yes we do"}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{m}");
    assert_eq!(m["chat_id"], json!(l.chat));
}

async fn an_agent_reacts_edits_and_deletes_through_waha(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let inbound = app
        .list(&format!("/v1/chats/{}/messages", l.chat), &l.key)
        .await[0]
        .clone();
    let path = format!("/v1/messages/{}/reaction", id(&inbound));
    let (s, r) = app
        .call(
            Method::PUT,
            &path,
            Some(&l.key),
            Some(json!({"emoji": "👍"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    assert_eq!(r["reactions"]["me"], "👍");
    let (s, r) = app
        .call(Method::PUT, &path, Some(&l.key), Some(json!({"emoji": ""})))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(r["reactions"]["me"].is_null(), "removed: {r}");
    let m = send(app, &l, json!({"type": "text", "text": "See you at 5"})).await;
    run_jobs(app).await;
    let sent_id = l.sim.sim.sent()[0].id.clone();
    let (s, e) = app
        .patch(
            &format!("/v1/messages/{}", id(&m)),
            &l.key,
            json!({"text": "See you at 6"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{e}");
    assert_eq!(e["body"], "See you at 6");
    assert!(!e["edited_at"].is_null());
    assert_eq!(
        l.sim.sim.sent()[0].request["text"],
        "See you at 6",
        "edited in WhatsApp"
    );
    let s = app
        .delete(&format!("/v1/messages/{}", id(&m)), &l.key)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let gone = message(app, &l, &id(&m)).await;
    assert!(!gone["deleted_at"].is_null(), "{gone}");
    assert_eq!(gone["body"], "See you at 6", "content kept for audit");
    assert!(l.sim.sim.sent()[0].deleted);
    let kinds: Vec<(String, String)> = l
        .sim
        .sim
        .actions()
        .into_iter()
        .map(|a| (a.kind, a.target))
        .collect();
    let inbound_wa = inbound["provider_id"].as_str().unwrap().to_string();
    assert_eq!(
        kinds,
        [
            ("reaction".to_string(), inbound_wa.clone()),
            ("reaction".to_string(), inbound_wa),
            ("edit".to_string(), sent_id.clone()),
            ("delete".to_string(), sent_id),
        ]
    );
    let evs = events_of(app, &l.key, &id(&m)).await;
    assert!(
        evs.contains(&"message.edited".to_string()) && evs.contains(&"message.deleted".to_string()),
        "{evs:?}"
    );
    let evs = events_of(app, &l.key, &id(&inbound)).await;
    assert_eq!(
        evs.iter()
            .filter(|e| *e == "message.reaction_changed")
            .count(),
        2
    );
}

async fn what_cannot_be_edited_or_deleted_is_refused_and_waha_untouched(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let inbound = app
        .list(&format!("/v1/chats/{}/messages", l.chat), &l.key)
        .await[0]
        .clone();
    let (s, v) = app
        .patch(
            &format!("/v1/messages/{}", id(&inbound)),
            &l.key,
            json!({"text": "rewritten"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("message_not_editable")
        )
    );
    let (s, v) = app
        .call(
            Method::DELETE,
            &format!("/v1/messages/{}", id(&inbound)),
            Some(&l.key),
            None,
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("message_not_deletable")
        )
    );
    let (s, v) = app
        .call(
            Method::PUT,
            &format!("/v1/messages/{}/reaction", id(&inbound)),
            Some(&l.key),
            Some(json!({"emoji": "ok"})),
        )
        .await;
    assert_eq!(
        (s, field(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("emoji"))
    );
    // Not yet in WhatsApp: nothing to edit there.
    let pending = send(app, &l, json!({"type": "text", "text": "soon"})).await;
    let (s, v) = app
        .patch(
            &format!("/v1/messages/{}", id(&pending)),
            &l.key,
            json!({"text": "sooner"}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, Some("message_not_sent"))
    );
    assert!(l.sim.sim.actions().is_empty());
    assert_eq!(
        message(app, &l, &id(&inbound)).await["body"],
        inbound["body"]
    );
}

async fn a_chat_is_marked_seen_and_shows_typing(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/chats/{}/seen", l.chat),
            Some(&l.key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    for state in ["typing", "paused", "recording"] {
        let (s, v) = app
            .post(
                &format!("/v1/chats/{}/typing", l.chat),
                &l.key,
                json!({"state": state}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    }
    let (s, _) = app
        .post(
            &format!("/v1/chats/{}/typing", l.chat),
            &l.key,
            json!({"state": "dancing"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let got: Vec<(String, Value)> = l
        .sim
        .sim
        .actions()
        .into_iter()
        .map(|a| {
            (
                a.kind,
                a.request.get("presence").cloned().unwrap_or(Value::Null),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("seen".to_string(), Value::Null),
            ("presence".to_string(), json!("typing")),
            ("presence".to_string(), json!("paused")),
            ("presence".to_string(), json!("recording")),
        ]
    );
    assert!(
        l.sim
            .sim
            .actions()
            .iter()
            .all(|a| a.target == "5511977776666@c.us")
    );
}
