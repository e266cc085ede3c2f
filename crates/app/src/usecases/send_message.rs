//! Answering a customer: a message is checked, stored as pending in its chat's session and
//! handed to the send saga (`send_saga`), all before the caller hears back (202).

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{AccessStore, ChannelStore, Clock, ConversationStore, IngestStore};
use crate::usecases::agents::sending_agent;
use crate::usecases::ingest::{QueueSend, queue_send};
use ventros_domain::channel::Channel;
use ventros_domain::chat::Chat;
use ventros_domain::ids::{ChannelId, ChatId, MessageId};
use ventros_domain::message::Message;
use ventros_domain::outbound::OutboundContent;
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::Scope;

/// What a caller asks to send, and what it answers.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub content: OutboundContent,
    /// A Ventros message of the same chat.
    pub reply_to: Option<MessageId>,
}

/// The channel a send goes through, if it can take sends now.
pub(crate) async fn sending_channel(
    store: &(impl ChannelStore + ?Sized),
    scope: Scope,
    id: ChannelId,
) -> AppResult<Channel> {
    match store.get_channel(scope, id).await? {
        Some(c) if c.is_active() => Ok(c),
        Some(c) => Err(AppError::conflict(
            "channel_not_active",
            format!(
                "channel {} is not active; activate it (POST /v1/channels/{}/activate) first",
                c.id, c.id
            ),
        )),
        None => Err(AppError::conflict(
            "channel_not_active",
            format!("channel {id} was deleted"),
        )),
    }
}

/// Sends into an existing chat.
pub async fn send_to_chat<S>(
    store: &S,
    clock: &dyn Clock,
    actor: &Actor,
    chat_id: ChatId,
    out: Outgoing,
) -> AppResult<Message>
where
    S: AccessStore + ChannelStore + ConversationStore + IngestStore + ?Sized,
{
    actor.require(Permission::MessagesSend)?;
    out.content.validate()?;
    let chat = store
        .get_chat(actor.scope, chat_id)
        .await?
        .ok_or(AppError::NotFound("chat"))?;
    send_in(store, clock, actor, &chat, out).await
}

pub(crate) async fn send_in<S>(
    store: &S,
    clock: &dyn Clock,
    actor: &Actor,
    chat: &Chat,
    out: Outgoing,
) -> AppResult<Message>
where
    S: AccessStore + ChannelStore + ConversationStore + IngestStore + ?Sized,
{
    let channel = sending_channel(store, actor.scope, chat.channel_id).await?;
    let reply_to = match out.reply_to {
        None => None,
        Some(id) => {
            let m = store
                .get_message(actor.scope, id)
                .await?
                .filter(|m| m.chat_id == chat.id)
                .ok_or_else(|| {
                    AppError::validation("reply_to", "must be a message of this chat")
                })?;
            if m.raw_id.starts_with("pending:") {
                return Err(AppError::validation(
                    "reply_to",
                    "that message has not reached WhatsApp yet",
                ));
            }
            Some((id, m.provider_id))
        }
    };
    let agent = sending_agent(store, clock, actor).await?;
    queue_send(
        store,
        clock.now(),
        QueueSend {
            channel: &channel,
            chat,
            agent: &agent,
            content: out.content,
            reply_to,
        },
        &actor.ctx,
    )
    .await
}
