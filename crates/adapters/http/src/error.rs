//! One error type for the whole API, one envelope, one exhaustive mapping to status codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use ventros_app::AppError;

#[derive(Debug)]
pub enum ApiError {
    App(AppError),
    /// The body is not JSON (or not the JSON shape expected).
    BadJson(String),
    /// Query string parameters could not be read.
    BadQuery(String),
    PayloadTooLarge {
        limit: usize,
    },
    /// Unknown channel and bad signature answer the same, on purpose.
    WebhookUnauthorized,
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError::App(e)
    }
}

impl From<ventros_domain::DomainError> for ApiError {
    fn from(e: ventros_domain::DomainError) -> Self {
        ApiError::App(e.into())
    }
}

impl ApiError {
    /// (HTTP status, stable code, message, details). Every variant is listed.
    pub fn parts(&self) -> (StatusCode, &'static str, String, serde_json::Value) {
        match self {
            ApiError::App(e) => match e {
                AppError::NotFound(what) => (
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("{what} not found"),
                    json!(null),
                ),
                AppError::Conflict { code, message } => {
                    (StatusCode::CONFLICT, code, message.clone(), json!(null))
                }
                AppError::Validation { field, reason } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    format!("invalid {field}: {reason}"),
                    json!({"fields": [{"field": field, "reason": reason}]}),
                ),
                AppError::Unauthorized => (
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "a valid API key is required (Authorization: Bearer vtr_…)".into(),
                    json!(null),
                ),
                AppError::Forbidden(what) => (
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("your role may not {what}"),
                    json!(null),
                ),
                AppError::Unavailable(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "storage is unavailable; retry shortly".into(),
                    json!(null),
                ),
                AppError::Internal(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error".into(),
                    json!(null),
                ),
            },
            ApiError::BadJson(m) => (
                StatusCode::BAD_REQUEST,
                "invalid_json",
                m.clone(),
                json!(null),
            ),
            ApiError::BadQuery(m) => (
                StatusCode::BAD_REQUEST,
                "invalid_query",
                m.clone(),
                json!(null),
            ),
            ApiError::PayloadTooLarge { limit } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body exceeds {limit} bytes"),
                json!({"limit_bytes": limit}),
            ),
            ApiError::WebhookUnauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unknown channel or invalid signature".into(),
                json!(null),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, details) = self.parts();
        if let ApiError::App(AppError::Internal(detail) | AppError::Unavailable(detail)) = &self {
            tracing::error!(code, detail = %detail, "request failed");
        }
        (
            status,
            Json(json!({"error": {"code": code, "message": message, "details": details}})),
        )
            .into_response()
    }
}

/// The error envelope, as documented in the OpenAPI spec.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code (`not_found`, `validation_failed`, …).
    pub code: String,
    pub message: String,
    /// Extra data, e.g. `{"fields": [{"field", "reason"}]}` for validation errors.
    pub details: Option<serde_json::Value>,
}
