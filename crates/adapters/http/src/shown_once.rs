//! Responses that carry a secret shown once (a new API key today). The handler marks its
//! response; the idempotency layer then keeps, instead of the body, an answer that says the
//! secret was already shown, so the secret is never written to the database in plain text
//! and a replay cannot show it again.

use axum::http::StatusCode;
use axum::response::{IntoResponseParts, ResponseParts};
use serde_json::json;
use uuid::Uuid;

/// The resource whose secret the response shows.
#[derive(Debug, Clone)]
pub struct ShownOnce {
    pub id: Uuid,
    pub what: &'static str,
}

impl ShownOnce {
    pub fn new(id: Uuid, what: &'static str) -> Self {
        ShownOnce { id, what }
    }

    /// What a replay answers: 409 `secret_already_shown`, with the resource's id.
    pub fn replay(&self) -> (StatusCode, Vec<u8>) {
        let body = json!({"error": {
            "code": "secret_already_shown",
            "message": format!(
                "this request already created {} {}; its secret was shown once, in the first response",
                self.what, self.id
            ),
            "details": {"id": self.id},
        }});
        (StatusCode::CONFLICT, body.to_string().into_bytes())
    }
}

impl IntoResponseParts for ShownOnce {
    type Error = std::convert::Infallible;

    fn into_response_parts(self, mut res: ResponseParts) -> Result<ResponseParts, Self::Error> {
        res.extensions_mut().insert(self);
        Ok(res)
    }
}
