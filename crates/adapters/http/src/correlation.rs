//! Echoes `X-Correlation-Id` (or, when the client sent none, the request id) on every
//! response, so a client can match logs and events to its call.

use crate::auth::correlation;
use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub async fn echo(req: Request, next: Next) -> Response {
    let id = correlation(req.headers());
    let mut resp = next.run(req).await;
    if let Some(v) = id.and_then(|v| HeaderValue::from_str(&v).ok()) {
        resp.headers_mut().insert("x-correlation-id", v);
    }
    resp
}
