use crate::AppState;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// Liveness
#[utoipa::path(get, path = "/health", tag = "operations", responses((status = 200, description = "The process is up", body = Object)))]
pub async fn health() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness and outbox backlog
///
/// Ready when the database answers and the bus takes events; reports the outbox backlog.
#[utoipa::path(get, path = "/ready", tag = "operations", responses((status = 200, description = "Database and bus reachable; outbox backlog", body = Object), (status = 503, description = "Database or bus unavailable", body = Object)))]
pub async fn ready(State(s): State<AppState>) -> Response {
    let db = s.store.ping().await;
    let backlog = s.store.outbox_backlog().await;
    let bus = s.bus.ready().await;
    let transport = s.bus.transport();
    match (db, backlog, bus) {
        (Ok(()), Ok((pending, oldest)), Ok(())) => Json(json!({
            "status": "ready",
            "database": s.store.backend(),
            "bus": transport,
            "outbox": {"pending": pending, "oldest_pending_at": oldest},
        }))
        .into_response(),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": s.store.backend(), "bus": transport})),
            )
                .into_response()
        }
    }
}

pub async fn not_found() -> ApiError {
    ApiError::App(ventros_app::AppError::NotFound("route"))
}

/// Prometheus metrics
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format: HTTP requests by route and status with latency histograms, webhook deliveries by event and outcome, outbox backlog and age, overdue and dead jobs, database pool use", content_type = "text/plain", body = String), (status = 404, description = "Served on its own listener (VENTROS_METRICS_ADDR), not here", body = crate::error::ErrorBody)))]
pub async fn metrics(State(s): State<AppState>) -> Response {
    if !s.metrics_on_api {
        return not_found().await.into_response();
    }
    render_metrics(State(s)).await
}

/// The Prometheus text, on the API listener or on its own (`crate::metrics_router`): the
/// process's counters and histograms, then gauges read from this server's store at this
/// scrape (rendered here, not kept in the process-wide recorder, so they are always this
/// store's and this moment's).
pub async fn render_metrics(State(s): State<AppState>) -> Response {
    use crate::metrics::{
        DB_POOL_IDLE, DB_POOL_OPEN, JOBS_DEAD, JOBS_DUE, JOBS_LAG, OUTBOX_LAG, OUTBOX_PENDING,
    };
    let now = s.clock.now();
    // Seconds since the oldest waiting item; 0 when nothing waits.
    let age = |oldest: Option<chrono::DateTime<chrono::Utc>>| {
        oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0)
    };
    let mut gauges: Vec<(&str, &str, f64)> = Vec::new();
    if let Ok(b) = s.store.job_backlog(now).await {
        gauges.push((
            JOBS_DUE,
            "pending jobs whose due time has passed",
            b.due as f64,
        ));
        gauges.push((
            JOBS_LAG,
            "seconds since the oldest overdue job was due",
            age(b.oldest_due),
        ));
        gauges.push((JOBS_DEAD, "jobs that failed for good", b.dead as f64));
    }
    if let Ok((pending, oldest)) = s.store.outbox_backlog().await {
        gauges.push((OUTBOX_PENDING, "events not yet published", pending as f64));
        gauges.push((
            OUTBOX_LAG,
            "seconds since the oldest unpublished event was written",
            age(oldest),
        ));
    }
    let (open, idle) = s.store.pool_state();
    gauges.push((DB_POOL_OPEN, "database connections open", f64::from(open)));
    gauges.push((DB_POOL_IDLE, "database connections idle", idle as f64));
    s.prometheus.run_upkeep();
    let mut text = s.prometheus.render();
    for (name, help, value) in gauges {
        text.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
        ));
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        text,
    )
        .into_response()
}
