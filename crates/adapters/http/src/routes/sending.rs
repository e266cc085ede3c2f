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
use ventros_app::ports::Presence;
use ventros_app::usecases::message_actions::{self, ChatSignal, MessageAction};
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

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionIn {
    /// One emoji; `""` removes this account's reaction.
    emoji: String,
}

/// React to a message
#[utoipa::path(put, path = "/v1/messages/{id}/reaction", tag = "messages", params(("id" = String, Path, description = "Message id")), request_body = ReactionIn, responses((status = 200, description = "Reacted through WAHA; the message with its reactions (ours under `me`)", body = Message), (status = 502, description = "WAHA could not be reached", body = ErrorBody), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn react(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReactionIn>,
) -> Result<Json<Message>, ApiError> {
    act(&s, &p, &id, MessageAction::React(b.emoji)).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditIn {
    /// The new text.
    text: String,
}

/// Edit a sent text message
#[utoipa::path(patch, path = "/v1/messages/{id}", tag = "messages", params(("id" = String, Path, description = "Message id")), request_body = EditIn, responses((status = 200, description = "Edited through WAHA; every edit is kept (`message.edited`)", body = Message), (status = 502, description = "WAHA could not be reached", body = ErrorBody), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn edit(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EditIn>,
) -> Result<Json<Message>, ApiError> {
    act(&s, &p, &id, MessageAction::Edit(b.text)).await
}

/// Delete a sent message for everyone
#[utoipa::path(delete, path = "/v1/messages/{id}", tag = "messages", params(("id" = String, Path, description = "Message id")), responses((status = 204, description = "Deleted for everyone through WAHA; Ventros keeps the content for audit (`deleted_at`)"), (status = 502, description = "WAHA could not be reached", body = ErrorBody), AuthErrors, NotFoundError, ConflictError, InputErrors), security(("bearer" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let _deleted = act(&s, &p, &id, MessageAction::Delete).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn act(
    s: &AppState,
    p: &Principal,
    id: &str,
    action: MessageAction,
) -> Result<Json<Message>, ApiError> {
    let id = path_id(id, "message")?;
    let m = message_actions::act_on_message(
        s.store.as_ref(),
        s.gateway.as_ref(),
        s.clock.as_ref(),
        p,
        id.into(),
        action,
    )
    .await?;
    Ok(Json(m))
}

/// Mark a chat as seen
#[utoipa::path(post, path = "/v1/chats/{id}/seen", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 204, description = "WAHA marked the chat's messages as read"), (status = 502, description = "WAHA could not be reached", body = ErrorBody), AuthErrors, NotFoundError, ConflictError), security(("bearer" = [])))]
pub async fn seen(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    signal(&s, &p, &id, ChatSignal::Seen).await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingIn {
    /// `typing`, `paused` (stopped typing) or `recording` (a voice note).
    state: Presence,
}

/// Show typing… in a chat
#[utoipa::path(post, path = "/v1/chats/{id}/typing", tag = "chats", params(("id" = String, Path, description = "Chat id")), request_body = TypingIn, responses((status = 204, description = "WAHA shows the state in the chat"), (status = 502, description = "WAHA could not be reached", body = ErrorBody), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn typing(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TypingIn>,
) -> Result<StatusCode, ApiError> {
    signal(&s, &p, &id, ChatSignal::Presence(b.state)).await
}

async fn signal(
    s: &AppState,
    p: &Principal,
    id: &str,
    signal: ChatSignal,
) -> Result<StatusCode, ApiError> {
    let id = path_id(id, "chat")?;
    message_actions::signal_chat(s.store.as_ref(), s.gateway.as_ref(), p, id.into(), signal)
        .await?;
    Ok(StatusCode::NO_CONTENT)
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
