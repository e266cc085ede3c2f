//! Answering customers: sends are accepted at once (202) and leave through the send saga.

use crate::AppState;
use crate::auth::Principal;
use crate::error::{
    ApiError, AuthErrors, BodyErrors, ConflictError, ErrorBody, InputErrors, NotFoundError,
};
use crate::extract::{ApiJson, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::Deserialize;
use ventros_app::usecases::send_message::{self, Outgoing};
use ventros_domain::ids::{ChannelId, MessageId};
use ventros_domain::message::Message;
use ventros_domain::outbound::OutboundContent;

/// A message to send: its `type` and that type's fields, and optionally the message it
/// replies to.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SendMessageIn {
    #[serde(flatten)]
    content: OutboundContent,
    /// A message of the same chat (a Ventros message id).
    reply_to: Option<MessageId>,
}

/// Send a message into a chat
///
/// Stored at once as `pending` (outbound, with the agent that sends it), then handed to the
/// channel's WAHA by the send saga: `message.queued`, `message.sent` when WAHA accepted it,
/// `message.confirmed` when WhatsApp has it, or `message.failed` with a reason.
#[utoipa::path(post, path = "/v1/chats/{id}/messages", tag = "chats", params(("id" = String, Path, description = "Chat id")), request_body = SendMessageIn, responses((status = 202, description = "Queued; the message as stored", body = Message), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn send_to_chat(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SendMessageIn>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let id = path_id(&id, "chat")?;
    let out = Outgoing {
        content: b.content,
        reply_to: b.reply_to,
    };
    let m =
        send_message::send_to_chat(s.store.as_ref(), s.clock.as_ref(), &p, id.into(), out).await?;
    Ok((StatusCode::ACCEPTED, Json(m)))
}

/// A message to a contact on a channel: `channel_id`, then the same fields as a send into a
/// chat.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct SendToContactIn {
    /// The channel to send through (active, of this project).
    channel_id: ChannelId,
    #[serde(flatten)]
    content: OutboundContent,
    /// A message of the contact's chat on that channel (a Ventros message id).
    reply_to: Option<MessageId>,
}

/// Send a message to a contact
///
/// Starts (or continues) the contact's individual chat on the channel. WAHA is asked first
/// which WhatsApp chat the contact's number is (Brazil's 9th digit); a number that is not on
/// WhatsApp is 422 `not_on_whatsapp`. Then as a send into a chat: 202, and the send saga.
#[utoipa::path(post, path = "/v1/contacts/{id}/messages", tag = "contacts", params(("id" = String, Path, description = "Contact id")), request_body = SendToContactIn, responses((status = 202, description = "Queued; the message as stored", body = Message), (status = 502, description = "WAHA could not be asked whether the number is on WhatsApp", body = ErrorBody), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn send_to_contact(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SendToContactIn>,
) -> Result<(StatusCode, Json<Message>), ApiError> {
    let id = path_id(&id, "contact")?;
    let out = Outgoing {
        content: b.content,
        reply_to: b.reply_to,
    };
    let m = send_message::send_to_contact(
        s.store.as_ref(),
        s.gateway.as_ref(),
        s.clock.as_ref(),
        &p,
        id.into(),
        b.channel_id,
        out,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_body_is_the_content_plus_reply_to_and_nothing_else() {
        let ok = serde_json::from_value::<SendMessageIn>(
            json!({"type": "text", "text": "hi", "reply_to": "0190d2a4-57b6-7cc0-8000-000000000001"}),
        );
        assert!(ok.as_ref().is_ok_and(|b| b.reply_to.is_some()), "{ok:?}");
        assert!(ok.is_ok_and(|b| matches!(b.content, OutboundContent::Text { .. })));
        let unknown =
            serde_json::from_value::<SendMessageIn>(json!({"type": "text", "text": "hi", "x": 1}));
        assert!(unknown.is_err());
        let no_type = serde_json::from_value::<SendMessageIn>(json!({"text": "hi"}));
        assert!(no_type.is_err());
    }
}
