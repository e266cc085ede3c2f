//! The send calls and what acts on sent messages: answers in the engine's shape, the
//! `message.any` echo and acks posted to the webhooks, and the faults tests ask for.

use super::{EchoTiming, Engine, Fault, Sent, Simulator, now_secs, session_problem};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

const SENDS: [&str; 8] = [
    "sendText",
    "sendImage",
    "sendFile",
    "sendVideo",
    "sendVoice",
    "sendLocation",
    "sendContactVcard",
    "sendPoll",
];

pub(super) fn routes() -> Router<Arc<Simulator>> {
    let mut r = Router::new();
    for kind in SENDS {
        r = r.route(
            &format!("/api/{kind}"),
            post(move |s: State<Arc<Simulator>>, b: axum::Json<Value>| send(s, kind, b)),
        );
    }
    r.route("/api/{session}/new-message-id", get(new_message_id))
        .route(
            "/api/{session}/chats/{chat}/messages/{id}",
            get(get_message).put(edit).delete(delete),
        )
        .route("/api/reaction", put(reaction))
        .route("/api/sendSeen", post(seen))
        .route("/api/{session}/presence", post(presence))
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({"statusCode": 400, "message": [message], "error": "Bad Request"})),
    )
        .into_response()
}

async fn send(
    State(sim): State<Arc<Simulator>>,
    kind: &'static str,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let session = body
        .get("session")
        .and_then(Value::as_str)
        .unwrap_or("default")
        .to_string();
    let Some(chat) = body
        .get("chatId")
        .and_then(Value::as_str)
        .map(str::to_string)
    else {
        return bad_request("chatId must be a string");
    };
    if let Some(r) = session_problem(&sim, &session) {
        return r;
    }
    let fault = sim.lock().faults.pop_front();
    match fault {
        Some(Fault::Refuse) => {
            return (
                StatusCode::UNPROCESSABLE_ENTITY,
                axum::Json(json!({"error": "Session status is not as expected. Try again later or restart the session", "session": session, "status": "STARTING", "expected": ["WORKING"]})),
            )
                .into_response();
        }
        Some(Fault::ServerError) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                axum::Json(
                    json!({"statusCode": 500, "exception": {"message": "simulated failure"}}),
                ),
            )
                .into_response();
        }
        Some(Fault::TimeoutBeforeSend) => {
            tokio::time::sleep(sim.cfg.slow_answer).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        Some(Fault::TimeoutAfterSend | Fault::Lost) | None => {}
    }
    let reserved = body
        .get("id")
        .and_then(Value::as_str)
        .filter(|_| sim.cfg.engine.reserves_ids())
        .map(str::to_string);
    let raw = reserved.unwrap_or_else(|| sim.new_raw_id());
    let id = format!("true_{chat}_{raw}");
    let mut request = body.clone();
    if let Some(o) = request.as_object_mut() {
        o.remove("session");
    }
    let sent = Sent {
        id: id.clone(),
        session: session.clone(),
        chat_id: chat.clone(),
        kind: kind.to_string(),
        request,
        timestamp: now_secs(),
        ack: 1,
        deleted: fault == Some(Fault::Lost),
    };
    let echo = match fault {
        Some(Fault::Lost) => EchoTiming::Never,
        _ => sim.lock().echo,
    };
    sim.lock().sent.push(sent.clone());
    let payload = echo_payload(&sim, &sent);
    match echo {
        EchoTiming::Before => {
            sim.post_event(&session, "message.any", payload).await;
            spawn_acks(&sim, &sent, Duration::from_millis(20));
        }
        EchoTiming::After => {
            let (s2, sess) = (sim.clone(), session.clone());
            let sent2 = sent.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                s2.post_event(&sess, "message.any", payload).await;
                spawn_acks(&s2, &sent2, Duration::from_millis(20));
            });
        }
        EchoTiming::Never => {}
    }
    if fault == Some(Fault::TimeoutAfterSend) {
        tokio::time::sleep(sim.cfg.slow_answer).await;
    }
    (
        StatusCode::CREATED,
        axum::Json(answer(sim.cfg.engine, &sent, &sim.me_jid())),
    )
        .into_response()
}

/// DEVICE, then READ, after `after` each.
fn spawn_acks(sim: &Arc<Simulator>, sent: &Sent, after: Duration) {
    let (sim, sent) = (sim.clone(), sent.clone());
    tokio::spawn(async move {
        for ack in [2, 3] {
            tokio::time::sleep(after).await;
            let gone = {
                let mut s = sim.lock();
                match s.sent.iter_mut().find(|m| m.id == sent.id) {
                    Some(m) => {
                        m.ack = m.ack.max(ack);
                        m.deleted
                    }
                    None => true,
                }
            };
            if gone {
                return;
            }
            let name = if ack == 2 { "DEVICE" } else { "READ" };
            sim.post_event(
                &sent.session,
                "message.ack",
                json!({"id": sent.id, "from": sent.chat_id, "fromMe": true, "ack": ack, "ackName": name}),
            )
            .await;
        }
    });
}

/// A sent message as WAHA's webhooks and `GET …/messages/{id}` show it.
fn echo_payload(sim: &Simulator, m: &Sent) -> Value {
    let r = &m.request;
    let text = r
        .get("text")
        .or_else(|| r.get("caption"))
        .or_else(|| r.pointer("/poll/name"))
        .and_then(Value::as_str);
    let has_media = r.get("file").is_some();
    let mut p = json!({
        "id": m.id,
        "timestamp": m.timestamp,
        "from": sim.me_jid(),
        "fromMe": true,
        "source": "api",
        "to": m.chat_id,
        "body": text,
        "hasMedia": has_media,
        "ack": m.ack,
        "ackName": match m.ack { 1 => "SERVER", 2 => "DEVICE", 3 => "READ", _ => "PENDING" },
        "replyTo": r.get("reply_to").map(|id| json!({"id": id})),
        "vCards": r.get("contacts").and_then(Value::as_array).map(|cs| cs.iter().map(|c| c.get("vcard").cloned().unwrap_or_else(|| json!(format!("BEGIN:VCARD\nFN:{}\nEND:VCARD", c.get("fullName").and_then(Value::as_str).unwrap_or_default())))).collect::<Vec<_>>()).unwrap_or_default(),
        "_data": {},
    });
    if has_media {
        p["media"] = json!({"url": null, "mimetype": r.pointer("/file/mimetype"), "filename": r.pointer("/file/filename")});
    }
    if m.kind == "sendLocation" {
        p["location"] = json!({"latitude": r.get("latitude"), "longitude": r.get("longitude"), "description": r.get("title")});
    }
    p
}

/// The send's answer in the engine's own shape.
fn answer(engine: Engine, m: &Sent, me: &str) -> Value {
    let raw = m.id.rsplit('_').next().unwrap_or_default();
    match engine {
        Engine::Noweb => {
            let digits = m.chat_id.split('@').next().unwrap_or_default();
            let remote = if m.chat_id.ends_with("@c.us") {
                format!("{digits}@s.whatsapp.net")
            } else {
                m.chat_id.clone()
            };
            json!({"key": {"remoteJid": remote, "fromMe": true, "id": raw}, "message": {"conversation": m.request.get("text")}, "messageTimestamp": m.timestamp.to_string(), "status": "PENDING"})
        }
        Engine::Gows => {
            json!({"id": m.id, "_data": {"Info": {"ID": raw, "Chat": m.chat_id, "IsFromMe": true}}})
        }
        Engine::Webjs => {
            json!({"id": {"fromMe": true, "remote": m.chat_id, "id": raw, "_serialized": m.id}, "ack": 0, "from": me, "to": m.chat_id, "timestamp": m.timestamp, "body": m.request.get("text")})
        }
    }
}

async fn new_message_id(
    State(sim): State<Arc<Simulator>>,
    Path(session): Path<String>,
) -> Response {
    if !sim.cfg.engine.reserves_ids() {
        return (
            StatusCode::NOT_IMPLEMENTED,
            axum::Json(json!({"statusCode": 501, "message": format!("Method not implemented by '{}' engine", sim.cfg.engine.name()), "error": "Not Implemented"})),
        )
            .into_response();
    }
    if let Some(r) = session_problem(&sim, &session) {
        return r;
    }
    let raw = sim.new_raw_id();
    sim.lock().reserved.insert(raw.clone());
    axum::Json(json!({"id": raw})).into_response()
}

fn find(sim: &Simulator, id: &str) -> Option<Sent> {
    let s = sim.lock();
    s.sent
        .iter()
        .find(|m| m.id == id || m.id.rsplit('_').next() == Some(id))
        .cloned()
}

async fn get_message(
    State(sim): State<Arc<Simulator>>,
    Path((_session, _chat, id)): Path<(String, String, String)>,
    Query(_q): Query<HashMap<String, String>>,
) -> Response {
    match find(&sim, &id) {
        Some(m) if !m.deleted => axum::Json(echo_payload(&sim, &m)).into_response(),
        _ => super::not_found("Message not found"),
    }
}

async fn edit(
    State(sim): State<Arc<Simulator>>,
    Path((_session, _chat, id)): Path<(String, String, String)>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let found = {
        let mut s = sim.lock();
        match s.sent.iter_mut().find(|m| m.id == id) {
            Some(m) if !m.deleted => {
                m.request["text"] = body.get("text").cloned().unwrap_or(Value::Null);
                true
            }
            _ => false,
        }
    };
    if !found {
        return super::not_found("Message not found");
    }
    sim.act("edit", &id, body);
    axum::Json(json!({})).into_response()
}

async fn delete(
    State(sim): State<Arc<Simulator>>,
    Path((_session, _chat, id)): Path<(String, String, String)>,
) -> Response {
    let found = {
        let mut s = sim.lock();
        match s.sent.iter_mut().find(|m| m.id == id) {
            Some(m) => {
                m.deleted = true;
                true
            }
            None => false,
        }
    };
    if !found {
        return super::not_found("Message not found");
    }
    sim.act("delete", &id, Value::Null);
    axum::Json(json!({})).into_response()
}

async fn reaction(
    State(sim): State<Arc<Simulator>>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let Some(id) = body.get("messageId").and_then(Value::as_str) else {
        return bad_request("messageId must be a string");
    };
    if body.get("reaction").and_then(Value::as_str).is_none() {
        return bad_request("reaction must be a string");
    }
    sim.act("reaction", id, body.clone());
    axum::Json(json!({})).into_response()
}

async fn seen(State(sim): State<Arc<Simulator>>, axum::Json(body): axum::Json<Value>) -> Response {
    let Some(chat) = body.get("chatId").and_then(Value::as_str) else {
        return bad_request("chatId must be a string");
    };
    sim.act("seen", chat, body.clone());
    (StatusCode::CREATED, axum::Json(json!({}))).into_response()
}

async fn presence(
    State(sim): State<Arc<Simulator>>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let Some(chat) = body.get("chatId").and_then(Value::as_str) else {
        return bad_request("chatId must be a string");
    };
    if !matches!(
        body.get("presence").and_then(Value::as_str),
        Some("typing" | "paused" | "recording" | "online" | "offline")
    ) {
        return bad_request("presence must be typing, paused, recording, online or offline");
    }
    sim.act("presence", chat, body.clone());
    (StatusCode::CREATED, axum::Json(json!({}))).into_response()
}
