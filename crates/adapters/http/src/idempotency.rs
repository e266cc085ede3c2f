//! `Idempotency-Key` on POST: the first request with a key runs and its response is stored;
//! the same key with the same request gets that response again; with a different request,
//! 422. Keys belong to one caller and are kept for `IDEMPOTENCY_RETENTION_HOURS`. A response
//! marked `ShownOnce` is not kept: its replay says the secret was already shown.

use crate::AppState;
use crate::error::ApiError;
use crate::shown_once::ShownOnce;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use ventros_app::AppError;
use ventros_app::actor::Actor;
use ventros_app::ports::IdempotencyClaim;

pub const HEADER: &str = "idempotency-key";
pub const IDEMPOTENCY_RETENTION_HOURS: i64 = 24;
/// A claim that never finished for this long is considered dead and can be taken over.
const STALE_AFTER_SECS: i64 = 60;
use crate::extract::API_MAX_BODY as MAX_BODY;

fn invalid(reason: &str) -> Response {
    ApiError::from(AppError::validation("Idempotency-Key", reason)).into_response()
}

pub async fn idempotent(State(s): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(raw) = req.headers().get(HEADER) else {
        return next.run(req).await;
    };
    let Some(actor) = req.extensions().get::<Actor>().cloned() else {
        return next.run(req).await;
    };
    let key = match raw.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()) => {
            k.to_string()
        }
        _ => return invalid("must be 1 to 255 visible ASCII characters, without spaces"),
    };
    let (parts, body) = req.into_parts();
    // Uploads are as large as files may be; every other body is JSON.
    let limit = match parts.uri.path() {
        "/v1/media" => usize::try_from(s.media_max_bytes)
            .unwrap_or(usize::MAX)
            .saturating_add(64 * 1024),
        _ => MAX_BODY,
    };
    let bytes = match crate::extract::read_body(body, limit, s.body_read_timeout).await {
        Ok(b) => b,
        Err(e) => return e.into_response(),
    };
    let mut h = Sha256::new();
    h.update(parts.method.as_str());
    h.update(b" ");
    h.update(parts.uri.path());
    h.update(b"?");
    h.update(parts.uri.query().unwrap_or_default());
    h.update(b"\n");
    h.update(&bytes);
    let hash = hex::encode(h.finalize());
    let now = s.clock.now();
    let tenant = actor.scope.tenant_id;
    let who = actor.id();
    let claim = s
        .store
        .claim_idempotency(
            tenant,
            &who,
            &key,
            &hash,
            now,
            now - chrono::Duration::seconds(STALE_AFTER_SECS),
        )
        .await;
    match claim {
        Err(e) => ApiError::from(e).into_response(),
        Ok(IdempotencyClaim::Mismatch) => ApiError::from(AppError::Unprocessable {
            code: "idempotency_key_reused",
            message: "this Idempotency-Key was used with a different request".into(),
        })
        .into_response(),
        Ok(IdempotencyClaim::InProgress) => ApiError::from(AppError::conflict(
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still being processed",
        ))
        .into_response(),
        Ok(IdempotencyClaim::Replay { status, body }) => {
            let mut resp = Response::new(Body::from(body));
            *resp.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            resp.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            resp
        }
        Ok(IdempotencyClaim::Claimed) => {
            let req = Request::from_parts(parts, Body::from(bytes));
            let resp = next.run(req).await;
            let status = resp.status();
            let (rparts, rbody) = resp.into_parts();
            let rbytes: Bytes = match axum::body::to_bytes(rbody, MAX_BODY * 4).await {
                Ok(b) => b,
                Err(e) => {
                    let _ = s.store.release_idempotency(tenant, &who, &key).await;
                    return ApiError::from(AppError::internal_from(
                        "response too large to keep for Idempotency-Key",
                        e,
                    ))
                    .into_response();
                }
            };
            let kept = if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                s.store.release_idempotency(tenant, &who, &key).await
            } else if let Some(secret) = rparts.extensions.get::<ShownOnce>() {
                // Never keep a secret: keep what a replay should say instead.
                let (st, body) = secret.replay();
                s.store
                    .finish_idempotency(tenant, &who, &key, st.as_u16(), &body)
                    .await
            } else {
                s.store
                    .finish_idempotency(tenant, &who, &key, status.as_u16(), &rbytes)
                    .await
            };
            if let Err(e) = kept {
                tracing::error!(error = %e, "could not record the Idempotency-Key outcome");
            }
            Response::from_parts(rparts, Body::from(rbytes))
        }
    }
}
