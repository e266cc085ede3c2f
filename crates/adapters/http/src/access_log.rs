//! One `info` line per request: method, route template, status, latency and request id. The
//! raw path and the query are never logged (they hold ids and phone numbers), nor any body.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// The route a request matched, handed from the routing layer to the access log.
#[derive(Debug, Clone)]
pub(crate) struct RouteTemplate(pub String);

pub async fn log(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    // The docs UI and the spec are served beside the API router, without a template.
    let static_route = match req.uri().path() {
        "/openapi.json" => Some("/openapi.json"),
        p if p == "/docs" || p.starts_with("/docs/") => Some("/docs/*"),
        _ => None,
    };
    let started = Instant::now();
    let resp = next.run(req).await;
    let route = resp
        .extensions()
        .get::<RouteTemplate>()
        .map(|r| r.0.as_str())
        .or(static_route)
        .unwrap_or("unmatched");
    tracing::info!(
        method = %method,
        route,
        status = resp.status().as_u16(),
        latency_ms = started.elapsed().as_secs_f64() * 1000.0,
        request_id = %request_id,
        "request"
    );
    resp
}
