//! What an agent does to messages and chats besides sending: react, edit and delete what it
//! sent, mark a chat seen, show "typing…". Each goes to WAHA at once; a change to a message
//! is then applied like its webhook would apply it (the webhook's copy changes nothing). A
//! WAHA that refuses or cannot be reached is the caller's answer (422 / 502): nothing was
//! done, nothing is half-written.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{ChannelStore, Clock, ConversationStore, IngestStore, MessageGateway, Presence};
use crate::usecases::channel_activation::target;
use crate::usecases::ingest::{OwnChange, apply_own, webhook_channel};
use crate::usecases::send_message::sending_channel;
use ventros_domain::DomainError;
use ventros_domain::ids::{ChatId, MessageId};
use ventros_domain::message::{ContentType, Direction, Message};
use ventros_domain::outbound::MAX_TEXT;
use ventros_domain::rbac::Permission;

#[derive(Debug, Clone, PartialEq)]
pub enum MessageAction {
    /// An emoji; `""` removes this account's reaction.
    React(String),
    /// New text for an outbound text message.
    Edit(String),
    /// Delete for everyone (own messages only).
    Delete,
}

fn check_emoji(e: &str) -> Result<(), DomainError> {
    if e.chars().count() > 16 || (!e.is_empty() && e.is_ascii()) || e.contains(char::is_whitespace)
    {
        return Err(DomainError::invalid(
            "emoji",
            "one emoji (at most 16 characters), or \"\" to remove",
        ));
    }
    Ok(())
}

fn check_text(t: &str) -> Result<(), DomainError> {
    if t.trim().is_empty() {
        return Err(DomainError::invalid("text", "must not be empty"));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(DomainError::invalid(
            "text",
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    Ok(())
}

fn unprocessable(code: &'static str, message: &str) -> AppError {
    AppError::Unprocessable {
        code,
        message: message.into(),
    }
}

/// Reacts to, edits or deletes a message through its channel; the message afterwards.
pub async fn act_on_message<S>(
    store: &S,
    gateway: &dyn MessageGateway,
    clock: &dyn Clock,
    actor: &Actor,
    id: MessageId,
    action: MessageAction,
) -> AppResult<Message>
where
    S: ChannelStore + ConversationStore + IngestStore + ?Sized,
{
    actor.require(Permission::MessagesSend)?;
    match &action {
        MessageAction::React(e) => check_emoji(e)?,
        MessageAction::Edit(t) => check_text(t)?,
        MessageAction::Delete => {}
    }
    let m = store
        .get_message(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("message"))?;
    if m.raw_id.starts_with("pending:") {
        return Err(AppError::conflict(
            "message_not_sent",
            "the message has not reached WhatsApp yet",
        ));
    }
    if m.deleted_at.is_some() {
        return Err(unprocessable("message_deleted", "the message was deleted"));
    }
    let own = m.direction == Direction::Outbound && m.from_me;
    match &action {
        MessageAction::Edit(_) if !own || m.content_type != ContentType::Text => {
            return Err(unprocessable(
                "message_not_editable",
                "only text messages this account sent can be edited",
            ));
        }
        MessageAction::Delete if !own => {
            return Err(unprocessable(
                "message_not_deletable",
                "only messages this account sent can be deleted for everyone",
            ));
        }
        _ => {}
    }
    let channel = sending_channel(store, actor.scope, m.channel_id).await?;
    let chat = store
        .get_chat(actor.scope, m.chat_id)
        .await?
        .ok_or(AppError::NotFound("chat"))?;
    let t = target(&channel);
    let change = match &action {
        MessageAction::React(e) => {
            gateway
                .react(&t, &m.provider_id, e)
                .await
                .map_err(AppError::Gateway)?;
            OwnChange::Reaction {
                from_me: m.from_me,
                raw_id: &m.raw_id,
                emoji: e,
            }
        }
        MessageAction::Edit(text) => {
            gateway
                .edit(&t, &chat.wa_chat_id, &m.provider_id, text)
                .await
                .map_err(AppError::Gateway)?;
            OwnChange::Edit {
                raw_id: &m.raw_id,
                text,
            }
        }
        MessageAction::Delete => {
            gateway
                .delete(&t, &chat.wa_chat_id, &m.provider_id)
                .await
                .map_err(AppError::Gateway)?;
            OwnChange::Delete { raw_id: &m.raw_id }
        }
    };
    apply_own(
        store,
        clock.now(),
        &webhook_channel(&channel),
        change,
        &actor.ctx,
    )
    .await?;
    store
        .get_message(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("message"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatSignal {
    /// Everything in the chat was read.
    Seen,
    Presence(Presence),
}

/// Marks a chat seen or shows a presence in it.
pub async fn signal_chat<S>(
    store: &S,
    gateway: &dyn MessageGateway,
    actor: &Actor,
    id: ChatId,
    signal: ChatSignal,
) -> AppResult<()>
where
    S: ChannelStore + ConversationStore + ?Sized,
{
    actor.require(Permission::MessagesSend)?;
    let chat = store
        .get_chat(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("chat"))?;
    let channel = sending_channel(store, actor.scope, chat.channel_id).await?;
    let t = target(&channel);
    match signal {
        ChatSignal::Seen => gateway.send_seen(&t, &chat.wa_chat_id, &[]).await,
        ChatSignal::Presence(p) => gateway.set_presence(&t, &chat.wa_chat_id, p).await,
    }
    .map_err(AppError::Gateway)
}
