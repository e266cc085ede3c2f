//! Sessions, the login QR, and contact lookups.

use super::{Session, Simulator, not_found, url_pairs};
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::sync::Arc;

/// A 1×1 PNG, the simulator's QR code.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

pub(super) fn routes() -> Router<Arc<Simulator>> {
    Router::new()
        .route("/api/sessions/{session}", get(get_session).put(put_session))
        .route("/api/{session}/auth/qr", get(qr))
        .route("/api/contacts/check-exists", get(check_exists))
        .route("/api/contacts/profile-picture", get(profile_picture))
        .route("/api/{session}/lids/{lid}", get(lid))
}

fn session_json(sim: &Simulator, name: &str, s: &Session) -> Value {
    json!({
        "name": name,
        "status": s.status,
        "config": s.config,
        "me": if s.status == "WORKING" { json!({"id": sim.me_jid(), "pushName": "Ventros simulator"}) } else { Value::Null },
        "engine": {"engine": sim.cfg.engine.name()},
    })
}

async fn get_session(State(sim): State<Arc<Simulator>>, Path(name): Path<String>) -> Response {
    let s = sim.lock().sessions.get(&name).cloned();
    match s {
        Some(s) => axum::Json(session_json(&sim, &name, &s)).into_response(),
        None => not_found("Session not found"),
    }
}

/// Replaces the session's configuration (WAHA restarts it; here it stays as it was).
async fn put_session(
    State(sim): State<Arc<Simulator>>,
    Path(name): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    let mut st = sim.lock();
    let Some(s) = st.sessions.get_mut(&name) else {
        return not_found("Session not found");
    };
    s.config = body.get("config").cloned().unwrap_or_else(|| json!({}));
    let s = s.clone();
    drop(st);
    axum::Json(session_json(&sim, &name, &s)).into_response()
}

async fn qr(State(sim): State<Arc<Simulator>>, Path(name): Path<String>) -> Response {
    let status = sim.lock().sessions.get(&name).map(|s| s.status.clone());
    match status.as_deref() {
        Some("SCAN_QR_CODE") => ([(header::CONTENT_TYPE, "image/png")], PNG).into_response(),
        None => not_found("Session not found"),
        Some(st) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({"error": "Session status is not as expected. Try again later or restart the session", "session": name, "status": st, "expected": ["SCAN_QR_CODE"]})),
        )
            .into_response(),
    }
}

fn param(q: Option<&str>, key: &str) -> Option<String> {
    url_pairs(q.unwrap_or_default())
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

async fn check_exists(State(sim): State<Arc<Simulator>>, RawQuery(q): RawQuery) -> Response {
    let phone: String = param(q.as_deref(), "phone")
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    if phone.is_empty() || sim.lock().absent.contains(&phone) {
        return axum::Json(json!({"numberExists": false})).into_response();
    }
    // Brazil's mobile numbers gained a 9th digit; WhatsApp still knows many without it.
    let chat = match phone.strip_prefix("55") {
        Some(rest) if rest.len() == 11 && rest.as_bytes()[2] == b'9' => {
            format!("55{}{}", &rest[..2], &rest[3..])
        }
        _ => phone,
    };
    axum::Json(json!({"numberExists": true, "chatId": format!("{chat}@c.us")})).into_response()
}

async fn profile_picture(State(sim): State<Arc<Simulator>>, RawQuery(q): RawQuery) -> Response {
    let contact = param(q.as_deref(), "contactId").unwrap_or_default();
    let url = sim.lock().pictures.get(&contact).cloned().flatten();
    axum::Json(json!({"profilePictureURL": url})).into_response()
}

async fn lid(
    State(sim): State<Arc<Simulator>>,
    Path((_session, lid)): Path<(String, String)>,
) -> Response {
    let pn = sim.lock().lids.get(&lid).cloned();
    axum::Json(json!({"lid": lid, "pn": pn})).into_response()
}
