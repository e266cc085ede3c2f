//! Authentication: a middleware resolves the bearer credential once per request and stores
//! the `Actor`; handlers take it with the `Principal` extractor.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use ventros_app::AppError;
use ventros_app::actor::Actor;
use ventros_app::usecases::authenticate::authenticate;
use ventros_domain::event::EventContext;
use ventros_domain::ids::ProjectId;

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Principal(pub Actor);

impl std::ops::Deref for Principal {
    type Target = Actor;
    fn deref(&self) -> &Actor {
        &self.0
    }
}

/// The correlation id of a request: `X-Correlation-Id`, else `X-Request-Id`.
pub fn correlation(headers: &axum::http::HeaderMap) -> Option<String> {
    ["x-correlation-id", "x-request-id"]
        .iter()
        .filter_map(|h| headers.get(*h))
        .filter_map(|v| v.to_str().ok())
        .map(|s| s.chars().take(128).collect::<String>())
        .find(|s| !s.is_empty())
}

fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// Resolves `Authorization: Bearer …` (and `X-Project-Id` for users) into an `Actor`
/// stored in the request's extensions. Requests without the header pass through; the
/// `Principal` extractor answers 401 for them where authentication is needed.
pub async fn resolve(State(s): State<AppState>, mut req: Request, next: Next) -> Response {
    // Only the API proper authenticates this way: the WAHA webhook (which may be configured
    // with headers of its own), health checks and login ignore `Authorization`.
    let path = req.uri().path();
    if !path.starts_with("/v1/") || path == "/v1/auth/login" {
        return next.run(req).await;
    }
    let headers = req.headers();
    let Some(token) = bearer(headers) else {
        return next.run(req).await;
    };
    let project = match headers.get("x-project-id").map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) => match uuid::Uuid::parse_str(v.trim()) {
            Ok(u) => Some(ProjectId(u)),
            Err(_) => {
                return ApiError::from(AppError::validation("X-Project-Id", "not a UUID"))
                    .into_response();
            }
        },
        Some(Err(_)) => {
            return ApiError::from(AppError::validation("X-Project-Id", "not a UUID"))
                .into_response();
        }
    };
    let ctx = EventContext {
        source: "api".into(),
        correlation_id: correlation(headers),
        causation_id: None,
    };
    match authenticate(
        s.store.as_ref(),
        s.clock.as_ref(),
        &s.auth.tokens,
        token,
        project,
        ctx,
    )
    .await
    {
        Ok(actor) => {
            req.extensions_mut().insert(actor);
            next.run(req).await
        }
        Err(e) => ApiError::from(e).into_response(),
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Actor>()
            .cloned()
            .map(Principal)
            .ok_or(ApiError::App(AppError::Unauthorized))
    }
}
