//! Prometheus metrics: request counts and latencies per route, exposed at `/metrics`.

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

pub const HTTP_REQUESTS: &str = "ventros_http_requests_total";
pub const HTTP_DURATION: &str = "ventros_http_request_duration_seconds";
pub const WEBHOOK_DELIVERIES: &str = "ventros_webhook_deliveries_total";
pub const OUTBOX_PENDING: &str = "ventros_outbox_pending";
pub const OUTBOX_LAG: &str = "ventros_outbox_oldest_pending_age_seconds";
pub const JOBS_DUE: &str = "ventros_jobs_due";
pub const JOBS_LAG: &str = "ventros_jobs_oldest_due_age_seconds";
pub const JOBS_DEAD: &str = "ventros_jobs_dead";
pub const DB_POOL_OPEN: &str = "ventros_db_pool_connections";
pub const DB_POOL_IDLE: &str = "ventros_db_pool_idle_connections";

/// Counts every matched request by route template (never the raw path, which holds ids) and
/// status, and records its latency.
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let mut resp = next.run(req).await;
    let status = resp.status().as_u16().to_string();
    metrics::counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status).increment(1);
    metrics::histogram!(HTTP_DURATION, "method" => method, "route" => route.clone())
        .record(started.elapsed().as_secs_f64());
    resp.extensions_mut()
        .insert(crate::access_log::RouteTemplate(route));
    resp
}
