//! Bounds on the headers a client controls and Ventros echoes, logs or stores. A request or
//! correlation id is at most 128 characters of `A-Z a-z 0-9 . _ : -`; anything else is
//! dropped, so the request gets a fresh id and the correlation id falls back to it. A
//! `User-Agent` over 256 bytes or with bytes outside visible ASCII is dropped too.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

pub const MAX_ID_LEN: usize = 128;
const MAX_USER_AGENT_LEN: usize = 256;

/// A client id Ventros may echo and log as it is.
pub fn is_safe_id(v: &[u8]) -> bool {
    !v.is_empty()
        && v.len() <= MAX_ID_LEN
        && v.iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

fn is_safe_user_agent(v: &HeaderValue) -> bool {
    v.len() <= MAX_USER_AGENT_LEN && v.as_bytes().iter().all(|b| matches!(b, 0x20..=0x7e))
}

pub async fn bound(mut req: Request, next: Next) -> Response {
    let h = req.headers_mut();
    for name in ["x-request-id", "x-correlation-id"] {
        // Repeated headers are refused as a whole: which one would be echoed is ambiguous.
        let ok = {
            let mut values = h.get_all(name).iter();
            match (values.next(), values.next()) {
                (Some(v), None) => is_safe_id(v.as_bytes()),
                (None, _) => true,
                (Some(_), Some(_)) => false,
            }
        };
        if !ok {
            h.remove(name);
        }
    }
    if h.get_all(axum::http::header::USER_AGENT)
        .iter()
        .any(|v| !is_safe_user_agent(v))
    {
        h.remove(axum::http::header::USER_AGENT);
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::is_safe_id;

    #[test]
    fn ids_are_short_and_plain() {
        assert!(is_safe_id(b"req-01J9:abc_DEF.9"));
        assert!(is_safe_id("a".repeat(128).as_bytes()));
        assert!(!is_safe_id("a".repeat(129).as_bytes()));
        assert!(!is_safe_id(b""));
        assert!(!is_safe_id(b"two words"));
        assert!(!is_safe_id(b"<script>"));
        assert!(!is_safe_id("caf\u{e9}".as_bytes()));
    }
}
