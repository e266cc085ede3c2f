//! The simulator's own API, under `/sim/` (no key): make a customer write, change a session's
//! status, decide who is on WhatsApp and what their picture is, inject failures, and read what
//! was sent.

use super::{EchoTiming, Fault, Simulator, files::extension, now_secs};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

pub(super) fn routes() -> Router<Arc<Simulator>> {
    Router::new()
        .route("/sim/inbound", post(inbound))
        .route("/sim/sessions/{session}/status", post(set_status))
        .route("/sim/faults", post(faults))
        .route("/sim/echo", post(echo))
        .route("/sim/absent", post(absent))
        .route("/sim/pictures", post(pictures))
        .route("/sim/lids", post(lids))
        .route("/sim/sent", get(sent))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InboundMedia {
    mimetype: String,
    filename: Option<String>,
    /// Base64 of the file; absent: 1 KiB of zeros.
    data: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Inbound {
    session: Option<String>,
    /// The customer's number, digits only.
    from: String,
    text: Option<String>,
    push_name: Option<String>,
    media: Option<InboundMedia>,
    /// Seconds since the epoch (default: now).
    timestamp: Option<i64>,
    /// Written from this `…@lid` (the number hidden) instead of `from`'s `…@c.us`.
    lid: Option<String>,
}

/// A customer's message, posted to the session's webhooks as `message` and `message.any`.
async fn inbound(
    State(sim): State<Arc<Simulator>>,
    axum::Json(m): axum::Json<Inbound>,
) -> Response {
    let session = m.session.unwrap_or_else(|| sim.cfg.session.clone());
    let chat = m.lid.clone().unwrap_or_else(|| {
        format!(
            "{}@c.us",
            m.from
                .chars()
                .filter(char::is_ascii_digit)
                .collect::<String>()
        )
    });
    let raw = sim.new_raw_id();
    let id = format!("false_{chat}_{raw}");
    let mut payload = json!({
        "id": id,
        "timestamp": m.timestamp.unwrap_or_else(now_secs),
        "from": chat,
        "fromMe": false,
        "source": "app",
        "to": sim.me_jid(),
        "body": m.text,
        "hasMedia": m.media.is_some(),
        "ack": 1,
        "ackName": "SERVER",
        "vCards": [],
        "_data": {"notifyName": m.push_name.unwrap_or_else(|| "Customer".into())},
    });
    if let Some(media) = m.media {
        let bytes = match media
            .data
            .as_deref()
            .map(|d| base64::engine::general_purpose::STANDARD.decode(d))
        {
            Some(Ok(b)) => b,
            Some(Err(e)) => {
                return (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    axum::Json(json!({"error": format!("media.data is not base64: {e}")})),
                )
                    .into_response();
            }
            None => vec![0u8; 1024],
        };
        let name = format!("{raw}.{}", extension(&media.mimetype));
        let url = format!(
            "{}/api/files/{session}/{name}",
            sim.cfg.public_url.trim_end_matches('/')
        );
        sim.lock()
            .files
            .put(format!("{session}/{name}"), bytes, media.mimetype.clone());
        payload["media"] = json!({"url": url, "mimetype": media.mimetype, "filename": media.filename, "error": null});
    }
    let mut statuses = sim.post_event(&session, "message", payload.clone()).await;
    statuses.extend(sim.post_event(&session, "message.any", payload).await);
    axum::Json(json!({"id": id, "webhook_statuses": statuses})).into_response()
}

#[derive(Debug, Deserialize)]
struct Status {
    status: String,
}

async fn set_status(
    State(sim): State<Arc<Simulator>>,
    Path(session): Path<String>,
    axum::Json(b): axum::Json<Status>,
) -> Response {
    {
        let mut st = sim.lock();
        let s = st
            .sessions
            .entry(session.clone())
            .or_insert_with(|| super::Session {
                status: "STOPPED".into(),
                config: json!({"webhooks": []}),
            });
        s.status = b.status.clone();
    }
    let statuses = sim
        .post_event(&session, "session.status", json!({"status": b.status}))
        .await;
    axum::Json(json!({"webhook_statuses": statuses})).into_response()
}

#[derive(Debug, Deserialize)]
struct Faults {
    faults: Vec<Fault>,
}

async fn faults(State(sim): State<Arc<Simulator>>, axum::Json(b): axum::Json<Faults>) -> Response {
    sim.fail_next(&b.faults);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, Deserialize)]
struct Echo {
    echo: EchoTiming,
}

async fn echo(State(sim): State<Arc<Simulator>>, axum::Json(b): axum::Json<Echo>) -> Response {
    sim.set_echo(b.echo);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, Deserialize)]
struct Phone {
    phone: String,
}

/// This number is not on WhatsApp.
async fn absent(State(sim): State<Arc<Simulator>>, axum::Json(b): axum::Json<Phone>) -> Response {
    let digits: String = b.phone.chars().filter(char::is_ascii_digit).collect();
    sim.lock().absent.insert(digits);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, Deserialize)]
struct Picture {
    contact: String,
    url: Option<String>,
}

async fn pictures(
    State(sim): State<Arc<Simulator>>,
    axum::Json(b): axum::Json<Picture>,
) -> Response {
    sim.lock().pictures.insert(b.contact, b.url);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Debug, Deserialize)]
struct Lid {
    lid: String,
    pn: String,
}

async fn lids(State(sim): State<Arc<Simulator>>, axum::Json(b): axum::Json<Lid>) -> Response {
    sim.lock().lids.insert(b.lid, b.pn);
    StatusCode::NO_CONTENT.into_response()
}

async fn sent(State(sim): State<Arc<Simulator>>) -> Response {
    axum::Json(json!(sim.sent())).into_response()
}
