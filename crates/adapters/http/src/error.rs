//! One error type for the whole API, one envelope, one exhaustive mapping to status codes.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use ventros_app::AppError;
use ventros_app::ports::GatewayError;

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
    /// A JSON body sent with another `Content-Type`.
    UnsupportedMediaType,
    /// The body did not arrive within the body timeout.
    RequestTimeout,
    /// A string (or key) with the NUL character, which PostgreSQL cannot store; refused on
    /// every backend alike.
    NulCharacter {
        field: String,
    },
    /// Unknown channel and bad signature answer the same, on purpose.
    WebhookUnauthorized,
    /// A `Range` outside a file of `total` bytes.
    RangeNotSatisfiable {
        total: u64,
    },
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
                    "a valid API key or access token is required (Authorization: Bearer …)".into(),
                    json!(null),
                ),
                AppError::Forbidden(what) => (
                    StatusCode::FORBIDDEN,
                    "forbidden",
                    format!("not allowed: {what}"),
                    json!({"required": what}),
                ),
                AppError::Unprocessable { code, message } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    message.clone(),
                    json!(null),
                ),
                AppError::ChannelNotReady { checks } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "channel_not_ready",
                    "the channel's WAHA session is not ready; see details.checks".into(),
                    json!({"checks": checks}),
                ),
                AppError::Gateway(g) => match g {
                    GatewayError::Refused {
                        status,
                        code,
                        message,
                        ..
                    } => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "gateway_refused",
                        format!("WAHA refused: {message}"),
                        json!({"gateway_status": status, "gateway_code": code}),
                    ),
                    GatewayError::Unreachable(why) | GatewayError::Unknown(why) => (
                        StatusCode::BAD_GATEWAY,
                        "gateway_unavailable",
                        format!("WAHA did not answer usefully: {why}"),
                        json!(null),
                    ),
                },
                AppError::RateLimited { retry_after_secs } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("too many requests; retry in {retry_after_secs} s"),
                    json!({"retry_after_seconds": retry_after_secs}),
                ),
                AppError::Unavailable(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "storage is unavailable; retry shortly".into(),
                    json!(null),
                ),
                AppError::Internal { .. } => (
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
            ApiError::RequestTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "the body did not arrive in time".into(),
                json!(null),
            ),
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "the body must be JSON, sent with Content-Type: application/json".into(),
                json!(null),
            ),
            ApiError::NulCharacter { field } => {
                let reason = "contains the NUL character (U+0000), which cannot be stored";
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    format!("invalid {field}: {reason}"),
                    json!({"fields": [{"field": field, "reason": reason}]}),
                )
            }
            ApiError::WebhookUnauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "unknown channel or invalid signature".into(),
                json!(null),
            ),
            ApiError::RangeNotSatisfiable { total } => (
                StatusCode::RANGE_NOT_SATISFIABLE,
                "range_not_satisfiable",
                format!("the range is outside the file's {total} bytes"),
                json!({"size": total}),
            ),
        }
    }
}

/// An error and its causes, `outer: inner: …`, for the log.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl std::fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut cause = self.0.source();
        while let Some(c) = cause {
            write!(f, ": {c}")?;
            cause = c.source();
        }
        Ok(())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, details) = self.parts();
        if let ApiError::App(e @ (AppError::Internal { .. } | AppError::Unavailable(_))) = &self {
            tracing::error!(code, error = %ErrorChain(e), "request failed");
        }
        let mut resp = (
            status,
            Json(json!({"error": {"code": code, "message": message, "details": details}})),
        )
            .into_response();
        if let ApiError::App(AppError::RateLimited { retry_after_secs }) = &self {
            resp.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, (*retry_after_secs).into());
        }
        if let ApiError::RangeNotSatisfiable { total } = &self
            && let Ok(v) = axum::http::HeaderValue::from_str(&format!("bytes */{total}"))
        {
            resp.headers_mut()
                .insert(axum::http::header::CONTENT_RANGE, v);
        }
        resp
    }
}

/// Error responses shared by every authenticated operation, for the OpenAPI spec.
#[expect(dead_code, reason = "only read by the OpenAPI generator, never built")]
#[derive(utoipa::IntoResponses)]
pub enum AuthErrors {
    /// Missing, unknown, revoked or expired credentials.
    #[response(status = 401)]
    Unauthorized(ErrorBody),
    /// The caller's role lacks the permission this operation needs.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// Rate limit exceeded; see `Retry-After`.
    #[response(status = 429)]
    RateLimited(ErrorBody),
}

/// The id in the path does not exist in the caller's tenant.
#[expect(dead_code, reason = "only read by the OpenAPI generator, never built")]
#[derive(utoipa::IntoResponses)]
pub enum NotFoundError {
    #[response(status = 404)]
    NotFound(ErrorBody),
}

/// Errors of an operation with a JSON body: too large (413), not sent as JSON (415).
#[expect(dead_code, reason = "only read by the OpenAPI generator, never built")]
#[derive(utoipa::IntoResponses)]
pub enum BodyErrors {
    /// The body is larger than 1 MiB.
    #[response(status = 413)]
    TooLarge(ErrorBody),
    /// The body was not sent as `Content-Type: application/json`.
    #[response(status = 415)]
    NotJson(ErrorBody),
}

/// Input errors: malformed JSON or query (400) and invalid values (422).
#[expect(dead_code, reason = "only read by the OpenAPI generator, never built")]
#[derive(utoipa::IntoResponses)]
pub enum InputErrors {
    /// Malformed JSON or query string.
    #[response(status = 400)]
    Malformed(ErrorBody),
    /// A field has an invalid value, an unknown field was sent, or an `Idempotency-Key` was
    /// reused with another body.
    #[response(status = 422)]
    Invalid(ErrorBody),
}

/// The write conflicts with existing data (duplicate phone or email, request in progress).
#[expect(dead_code, reason = "only read by the OpenAPI generator, never built")]
#[derive(utoipa::IntoResponses)]
pub enum ConflictError {
    #[response(status = 409)]
    Conflict(ErrorBody),
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
