//! Extractors whose rejections use the API's error envelope.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The largest API body, in bytes (webhooks have their own limit).
pub const API_MAX_BODY: usize = 1024 * 1024;

/// JSON body. Another content type gets 415; a body over `API_MAX_BODY` 413; malformed
/// JSON 400 `invalid_json`; wrong types, unknown fields and the NUL character (which
/// PostgreSQL cannot store) 422.
pub struct ApiJson<T>(pub T);

/// `application/json`, or any `application/…+json`, parameters (`; charset=utf-8`) aside.
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(ct) = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = ct.split(';').next().unwrap_or_default().trim();
    let essence = essence.to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|sub| sub.ends_with("+json"))
}

/// Where the first NUL character is in a JSON document (in a string or a key), as a path.
fn nul_at(v: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains('\0') => Some(path.to_string()),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_at(x, &format!("{path}[{i}]"))),
        Value::Object(o) => o.iter().find_map(|(k, x)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(here.replace('\0', ""))
            } else {
                nul_at(x, &here)
            }
        }),
        _ => None,
    }
}

/// The NUL character can only reach a JSON string escaped (`\u0000`); only bodies that
/// contain that text are searched in full.
fn find_nul(bytes: &[u8]) -> Option<String> {
    if !bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000")) {
        return None;
    }
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    nul_at(&v, "").map(|p| if p.is_empty() { "body".into() } else { p })
}

/// Reads a whole body: over `limit` bytes is 413, not done within `within` is 408.
pub async fn read_body(
    body: axum::body::Body,
    limit: usize,
    within: std::time::Duration,
) -> Result<axum::body::Bytes, ApiError> {
    match tokio::time::timeout(within, axum::body::to_bytes(body, limit)).await {
        Err(_) => Err(ApiError::RequestTimeout),
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|c| c.is::<http_body_util::LengthLimitError>());
            Err(if too_large {
                ApiError::PayloadTooLarge { limit }
            } else {
                ApiError::BadJson(format!("cannot read body: {e}"))
            })
        }
    }
}

impl<T: DeserializeOwned> FromRequest<crate::AppState> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &crate::AppState) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType);
        }
        let bytes = read_body(req.into_body(), API_MAX_BODY, state.body_read_timeout).await?;
        if let Some(field) = find_nul(&bytes) {
            return Err(ApiError::NulCharacter { field });
        }
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
        if let Some((k, _)) =
            form_urlencoded::parse(q.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(ApiError::NulCharacter {
                field: k.replace('\0', ""),
            });
        }
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

/// The client's address (the TCP peer; Ventros does not read `X-Forwarded-For`), when the
/// server was started with connection info.
pub struct ClientAddr(pub Option<std::net::IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::find_nul;

    #[test]
    fn nul_is_found_where_it_is_and_only_when_it_is_there() {
        assert_eq!(find_nul(br#"{"name":"a\u0000b"}"#), Some("name".into()));
        assert_eq!(
            find_nul(br#"{"a":{"tags":["x","\u0000"]}}"#),
            Some("a.tags[1]".into())
        );
        assert_eq!(find_nul(br#"{"k\u0000":1}"#), Some("k".into()));
        assert_eq!(find_nul(br#""\u0000""#), Some("body".into()));
        // An escaped backslash before `u0000` is the text `\u0000`, not NUL.
        assert_eq!(find_nul(br#"{"name":"\\u0000"}"#), None);
        assert_eq!(find_nul(br#"{"name":"plain"}"#), None);
    }
}
