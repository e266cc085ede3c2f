use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use ventros_app::AppError;
use ventros_app::usecases::authenticate::authenticate_api_key;
use ventros_domain::event::EventContext;
use ventros_domain::tenancy::{Role, Scope};

/// The authenticated caller: tenant, project, role, and the ids that correlate its events.
#[derive(Debug, Clone)]
pub struct Principal {
    pub scope: Scope,
    pub role: Role,
    pub ctx: EventContext,
}

impl Principal {
    pub fn require_admin(&self, action: &'static str) -> Result<(), ApiError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(AppError::Forbidden(action).into())
        }
    }
}

pub fn correlation(parts: &Parts) -> Option<String> {
    ["x-correlation-id", "x-request-id"]
        .iter()
        .filter_map(|h| parts.headers.get(*h))
        .filter_map(|v| v.to_str().ok())
        .map(|s| s.chars().take(128).collect::<String>())
        .find(|s| !s.is_empty())
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or(ApiError::App(AppError::Unauthorized))?;
        let p = authenticate_api_key(state.store.as_ref(), token).await?;
        Ok(Principal {
            scope: p.scope,
            role: p.role,
            ctx: EventContext {
                source: "api".into(),
                correlation_id: correlation(parts),
                causation_id: None,
            },
        })
    }
}
