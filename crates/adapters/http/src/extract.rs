//! Extractors whose rejections use the API's error envelope.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// JSON body; malformed JSON, wrong types and unknown fields get `invalid_json` / 422.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadJson(format!("cannot read body: {e}")))?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_syntax() || inner.is_eof() {
                    ApiError::BadJson(format!("malformed JSON: {inner}"))
                } else {
                    ApiError::App(ventros_app::AppError::validation(
                        if path == "." { "body".into() } else { path },
                        inner.to_string(),
                    ))
                }
            })
    }
}

/// Query string parameters.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(q.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(ApiQuery)
            .map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner().to_string();
                if inner.starts_with("unknown field") || path == "." {
                    ApiError::BadQuery(inner)
                } else {
                    // A parameter with a value of the wrong shape (an id that is not a UUID,
                    // a time that is not RFC 3339, an unknown enum value).
                    ApiError::App(ventros_app::AppError::validation(path, inner))
                }
            })
    }
}

/// Parses an id from the path; a malformed id is simply not found.
pub fn path_id(raw: &str, what: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError::App(ventros_app::AppError::NotFound(what)))
}
