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

#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format: HTTP requests by route and status with latency histograms, webhook deliveries by event and outcome, outbox backlog and age, overdue and dead jobs, database pool use", content_type = "text/plain", body = String)))]
pub async fn metrics(State(s): State<AppState>) -> Response {
    use crate::metrics::{
        DB_POOL_IDLE, DB_POOL_OPEN, JOBS_DEAD, JOBS_DUE, JOBS_LAG, OUTBOX_LAG, OUTBOX_PENDING,
    };
    let now = s.clock.now();
    // Seconds since the oldest waiting item; 0 when nothing waits.
    let age = |oldest: Option<chrono::DateTime<chrono::Utc>>| {
        oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
    };
    if let Ok(b) = s.store.job_backlog(now).await {
        metrics::gauge!(JOBS_DUE).set(b.due as f64);
        metrics::gauge!(JOBS_LAG).set(age(b.oldest_due));
        metrics::gauge!(JOBS_DEAD).set(b.dead as f64);
    }
    if let Ok((pending, oldest)) = s.store.outbox_backlog().await {
        metrics::gauge!(OUTBOX_PENDING).set(pending as f64);
        metrics::gauge!(OUTBOX_LAG).set(age(oldest));
    }
    let (open, idle) = s.store.pool_state();
    metrics::gauge!(DB_POOL_OPEN).set(f64::from(open));
    metrics::gauge!(DB_POOL_IDLE).set(idle as f64);
    s.prometheus.run_upkeep();
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        s.prometheus.render(),
    )
        .into_response()
}
