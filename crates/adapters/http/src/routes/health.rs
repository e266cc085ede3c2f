use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "The process is up", body = Object)))]
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Ready when the database answers; reports the outbox backlog.
#[utoipa::path(get, path = "/ready", tag = "operations", responses((status = 200, description = "Database reachable; outbox backlog", body = Object), (status = 503, description = "Database unavailable", body = Object)))]
pub async fn ready(State(s): State<AppState>) -> Response {
    let db = s.store.ping().await;
    let backlog = s.store.outbox_backlog().await;
    match (db, backlog) {
        (Ok(()), Ok((pending, oldest))) => Json(json!({
            "status": "ready",
            "database": s.store.backend(),
            "outbox": {"pending": pending, "oldest_pending_at": oldest},
        }))
        .into_response(),
        (Err(e), _) | (_, Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": s.store.backend()})),
            )
                .into_response()
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::App(ventros_app::AppError::NotFound("route"))
}
