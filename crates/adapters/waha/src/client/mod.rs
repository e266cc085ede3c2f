//! The typed WAHA REST client: every call the use cases need, `X-Api-Key` on each, connect and
//! request timeouts, and one error type (`GatewayError`) that tells a refusal (4xx, nothing
//! happened) from an unreachable gateway (nothing sent) and an unknown outcome (a timeout, a
//! reset, a 5xx). Paths and bodies follow WAHA's OpenAPI (`docs/MESSAGING.md` lists them).

mod calls;
mod send;

pub use send::sent_message_id;

use reqwest::{Method, StatusCode, Url};
use serde_json::Value;
use std::time::Duration;
use ventros_app::ports::{GatewayError, GatewayResult, GatewayTarget};

/// Timeouts of the client. WAHA holds a send up to ~15 s while it waits for the session.
#[derive(Debug, Clone, Copy)]
pub struct ClientConfig {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WahaClient {
    http: reqwest::Client,
}

impl WahaClient {
    pub fn new(cfg: ClientConfig) -> GatewayResult<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(cfg.connect_timeout)
            .timeout(cfg.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ventros/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GatewayError::Unreachable(format!("cannot build the HTTP client: {e}")))?;
        Ok(WahaClient { http })
    }

    /// `base_url` + the path segments, each percent-encoded but for unreserved characters
    /// (so the `@` of chat ids travels as `%40`, as WAHA's documentation asks).
    fn url(t: &GatewayTarget, segments: &[&str]) -> GatewayResult<Url> {
        let mut url = Url::parse(&t.base_url).map_err(|e| {
            GatewayError::Unreachable(format!("the WAHA base URL is not a URL: {e}"))
        })?;
        if url.cannot_be_a_base() {
            return Err(GatewayError::Unreachable(
                "the WAHA base URL cannot take a path".into(),
            ));
        }
        let mut path = url.path().trim_end_matches('/').to_string();
        for s in segments {
            path.push('/');
            path.push_str(&encode_segment(s));
        }
        url.set_path(&path);
        Ok(url)
    }

    fn request(&self, t: &GatewayTarget, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.http
            .request(method, url)
            .header("x-api-key", &t.api_key)
    }

    /// Sends and reads the answer: the status and body of a 2xx, or the error it means.
    async fn exchange(&self, req: reqwest::RequestBuilder) -> GatewayResult<(StatusCode, Vec<u8>)> {
        let resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(transport)?.to_vec();
        if status.is_success() {
            return Ok((status, body));
        }
        Err(refusal_or_unknown(status, &body))
    }

    /// A call whose 2xx answer is JSON (an empty body reads as `null`).
    async fn json(&self, req: reqwest::RequestBuilder) -> GatewayResult<Value> {
        let req = req.header(reqwest::header::ACCEPT, "application/json");
        let (_, body) = self.exchange(req).await?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&body).map_err(|e| {
            GatewayError::Unknown(format!("WAHA answered with a body that is not JSON: {e}"))
        })
    }

    /// As `json`, with a 404 read as "not there".
    async fn json_or_absent(&self, req: reqwest::RequestBuilder) -> GatewayResult<Option<Value>> {
        match self.json(req).await {
            Ok(v) => Ok(Some(v)),
            Err(GatewayError::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A transport failure: unreachable when the request cannot have left, unknown otherwise.
fn transport(e: reqwest::Error) -> GatewayError {
    let why = error_chain(&e);
    if e.is_connect() || e.is_builder() {
        GatewayError::Unreachable(why)
    } else {
        GatewayError::Unknown(why)
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cause = c.source();
    }
    s
}

/// A non-2xx answer. 4xx are refusals with WAHA's reason (its bodies: `{message, statusCode}`,
/// `{error, session, status?, expected?}`, `{error: {code, key, message}}`); 5xx and anything
/// else leave the outcome unknown. WAHA's 500 bodies echo the request, so they are not kept.
fn refusal_or_unknown(status: StatusCode, body: &[u8]) -> GatewayError {
    let detail: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    // 501 is how WAHA says an engine does not implement a call: a refusal, not a failure.
    if !status.is_client_error() && status != StatusCode::NOT_IMPLEMENTED {
        return GatewayError::Unknown(format!("WAHA answered {status}"));
    }
    let message = [
        detail.get("error").and_then(Value::as_str),
        detail.pointer("/error/message").and_then(Value::as_str),
        detail.get("message").and_then(Value::as_str),
    ]
    .into_iter()
    .flatten()
    .next()
    .map(str::to_string)
    .or_else(|| {
        detail.get("message").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
    })
    .unwrap_or_else(|| status.canonical_reason().unwrap_or("refused").to_string());
    let code = match status.as_u16() {
        401 | 403 => "unauthorized",
        404 => "not_found",
        422 if detail.get("status").is_some() || detail.get("expected").is_some() => {
            "session_not_working"
        }
        422 if message.contains("does not exist") => "session_not_found",
        400 | 422 => "invalid_request",
        501 => "not_supported",
        _ => "refused",
    };
    GatewayError::Refused {
        status: status.as_u16(),
        code,
        message: message.chars().take(500).collect(),
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Vec<u8> {
        ventros_testkit::fixture(name)
    }

    #[test]
    fn waha_error_bodies_become_refusals_with_their_reason() {
        let cases = [
            (
                401,
                "api-error-401-unauthorized.json",
                "unauthorized",
                "Unauthorized",
            ),
            (
                404,
                "api-error-404-file-not-found.json",
                "not_found",
                "File not found",
            ),
            (
                422,
                "api-error-422-session-does-not-exist.constructed.json",
                "session_not_found",
                "Session \"default\" does not exist",
            ),
            (
                422,
                "api-error-422-session-not-working.constructed.json",
                "session_not_working",
                "Session status is not as expected. Try again later or restart the session",
            ),
        ];
        for (status, file, want_code, want_message) in cases {
            let body = fixture(file);
            match refusal_or_unknown(StatusCode::from_u16(status).unwrap_or_default(), &body) {
                GatewayError::Refused {
                    status: s,
                    code,
                    message,
                    detail,
                } => {
                    assert_eq!(
                        (s, code, message.as_str()),
                        (status, want_code, want_message),
                        "{file}"
                    );
                    assert_eq!(
                        detail,
                        serde_json::from_slice::<Value>(&body).unwrap_or_default()
                    );
                }
                other => panic!("{file}: {other:?}"),
            }
        }
        let nest = br#"{"statusCode":400,"message":["chatId must be a string","text should not be empty"],"error":"Bad Request"}"#;
        assert!(matches!(
            refusal_or_unknown(StatusCode::BAD_REQUEST, nest),
            GatewayError::Refused {
                code: "invalid_request",
                ..
            }
        ));
    }

    #[test]
    fn server_errors_leave_the_outcome_unknown_and_keep_no_echoed_body() {
        let body = br#"{"statusCode":500,"exception":{"message":"boom"},"request":{"body":{"text":"secret"}}}"#;
        let e = refusal_or_unknown(StatusCode::INTERNAL_SERVER_ERROR, body);
        assert!(e.outcome_unknown());
        assert!(!e.to_string().contains("secret"), "{e}");
    }

    #[test]
    fn urls_encode_each_segment() {
        let t = GatewayTarget {
            base_url: "http://waha:3000/".into(),
            api_key: "k".into(),
            session: "default".into(),
        };
        let url = WahaClient::url(
            &t,
            &[
                "api",
                "default",
                "chats",
                "1@c.us",
                "messages",
                "true_1@c.us_AB",
            ],
        );
        assert_eq!(
            url.map(|u| u.to_string()).unwrap_or_default(),
            "http://waha:3000/api/default/chats/1%40c.us/messages/true_1%40c.us_AB"
        );
    }
}
