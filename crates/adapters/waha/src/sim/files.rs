//! Media files the simulator serves at `/api/files/{session}/{name}`, each for its lifetime
//! only, like WAHA's local storage (`WHATSAPP_FILES_LIFETIME`).

use super::Simulator;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub(super) struct Files {
    lifetime: Duration,
    by_name: HashMap<String, (Vec<u8>, String, Instant)>,
}

impl Files {
    pub(super) fn new(lifetime: Duration) -> Self {
        Files {
            lifetime,
            by_name: HashMap::new(),
        }
    }

    pub(super) fn put(&mut self, name: String, bytes: Vec<u8>, mimetype: String) {
        self.by_name.insert(name, (bytes, mimetype, Instant::now()));
    }

    fn get(&mut self, name: &str) -> Option<(Vec<u8>, String)> {
        let lifetime = self.lifetime;
        self.by_name.retain(|_, (_, _, at)| at.elapsed() < lifetime);
        self.by_name
            .get(name)
            .map(|(b, m, _)| (b.clone(), m.clone()))
    }
}

pub(super) fn routes() -> Router<Arc<Simulator>> {
    Router::new().route("/api/files/{session}/{name}", axum::routing::get(file))
}

async fn file(
    State(sim): State<Arc<Simulator>>,
    Path((session, name)): Path<(String, String)>,
) -> Response {
    match sim.lock().files.get(&format!("{session}/{name}")) {
        Some((bytes, mimetype)) => ([(header::CONTENT_TYPE, mimetype)], bytes).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"error": {"code": 404, "key": "FILE_NOT_FOUND", "message": "File not found", "details": "File not found or no longer available"}})),
        )
            .into_response(),
    }
}

/// The extension WAHA gives a stored file of this mimetype.
pub(super) fn extension(mimetype: &str) -> &'static str {
    match mimetype.split(';').next().unwrap_or_default().trim() {
        "image/jpeg" => "jpeg",
        "image/png" => "png",
        "image/webp" => "webp",
        "audio/ogg" => "oga",
        "audio/mpeg" => "mp3",
        "video/mp4" => "mp4",
        "application/pdf" => "pdf",
        _ => "bin",
    }
}
