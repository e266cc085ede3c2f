//! Answering a customer: a message is checked, stored as pending in its chat's session and
//! handed to the send saga (`send_saga`), all before the caller hears back (202).

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::PageRequest;
use crate::ports::{
    AccessStore, ChannelStore, Clock, ContactGateway, ConversationFilter, ConversationStore,
    CrmStore, IngestStore, MediaFileStore,
};
use crate::usecases::agents::sending_agent;
use crate::usecases::channel_activation::target;
use crate::usecases::ingest::{ChatRef, QueueSend, queue_send};
use ventros_domain::channel::Channel;
use ventros_domain::chat::{Chat, ChatKind};
use ventros_domain::ids::{ChannelId, ChatId, ContactId, MessageId};
use ventros_domain::media::MediaStatus;
use ventros_domain::message::Message;
use ventros_domain::outbound::OutboundContent;
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::Scope;
use ventros_domain::wa_id::Jid;

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

/// An uploaded file named by `media_id` must be a stored file of this project; its type and
/// name are the defaults.
async fn resolve_media<S: MediaFileStore + ?Sized>(
    store: &S,
    actor: &Actor,
    content: &mut OutboundContent,
) -> AppResult<()> {
    let Some(m) = content.media_mut() else {
        return Ok(());
    };
    let Some(id) = m.media_id else {
        return Ok(());
    };
    let f = store
        .get_media_file(actor.scope.tenant_id, id)
        .await?
        .filter(|f| f.project_id == actor.scope.project_id && f.status == MediaStatus::Stored)
        .ok_or_else(|| {
            AppError::validation("media.media_id", "no such stored file in this project")
        })?;
    if m.mimetype.is_none() {
        m.mimetype = f.mimetype;
    }
    if m.filename.is_none() {
        m.filename = f.filename;
    }
    Ok(())
}

/// The caller may send, and what it sends is valid (an upload it names included).
async fn checked<S: MediaFileStore + ?Sized>(
    store: &S,
    actor: &Actor,
    mut out: Outgoing,
) -> AppResult<Outgoing> {
    actor.require(Permission::MessagesSend)?;
    out.content.validate()?;
    resolve_media(store, actor, &mut out.content).await?;
    Ok(out)
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
    S: AccessStore + ChannelStore + ConversationStore + IngestStore + MediaFileStore + ?Sized,
{
    let out = checked(store, actor, out).await?;
    let chat = store
        .get_chat(actor.scope, chat_id)
        .await?
        .ok_or(AppError::NotFound("chat"))?;
    let channel = sending_channel(store, actor.scope, chat.channel_id).await?;
    let reply_to = reply_target(store, actor, &chat, out.reply_to).await?;
    queue(
        store,
        clock,
        actor,
        &channel,
        ChatRef::Chat(&chat),
        out.content,
        reply_to,
    )
    .await
}

/// Starts (or continues) a contact's individual chat on a channel: WAHA says which WhatsApp
/// chat the contact's number is (Brazil's 9th digit), or that it is not on WhatsApp.
pub async fn send_to_contact<S>(
    store: &S,
    gateway: &dyn ContactGateway,
    clock: &dyn Clock,
    actor: &Actor,
    contact_id: ContactId,
    channel_id: ChannelId,
    out: Outgoing,
) -> AppResult<Message>
where
    S: AccessStore
        + ChannelStore
        + ConversationStore
        + CrmStore
        + IngestStore
        + MediaFileStore
        + ?Sized,
{
    let out = checked(store, actor, out).await?;
    let contact = store
        .get_contact(actor.scope, contact_id)
        .await?
        .ok_or(AppError::NotFound("contact"))?;
    let channel = match store.get_channel(actor.scope, channel_id).await? {
        Some(c) => c,
        None => {
            return Err(AppError::validation(
                "channel_id",
                "no such channel in this project",
            ));
        }
    };
    let channel = sending_channel(store, actor.scope, channel.id).await?;
    // A chat WhatsApp already has with the contact goes on; WAHA is asked only for a new one.
    let filter = ConversationFilter {
        contact_id: Some(contact.id),
        channel_id: Some(channel.id),
        ..Default::default()
    };
    let known = store
        .list_chats(actor.scope, &filter, PageRequest::first(50))
        .await?
        .data
        .into_iter()
        .find(|c| c.kind == ChatKind::Individual);
    if let Some(chat) = known {
        let reply_to = reply_target(store, actor, &chat, out.reply_to).await?;
        return queue(
            store,
            clock,
            actor,
            &channel,
            ChatRef::Chat(&chat),
            out.content,
            reply_to,
        )
        .await;
    }
    if out.reply_to.is_some() {
        return Err(AppError::validation(
            "reply_to",
            "must be a message of this chat",
        ));
    }
    let Some(phone) = &contact.phone else {
        return Err(AppError::Unprocessable {
            code: "contact_without_phone",
            message: "the contact has no phone number to reach on WhatsApp".into(),
        });
    };
    let chat_id = gateway
        .check_exists(&target(&channel), phone.digits())
        .await
        .map_err(AppError::Gateway)?
        .ok_or_else(|| AppError::Unprocessable {
            code: "not_on_whatsapp",
            message: format!("{} is not on WhatsApp", phone.as_str()),
        })?;
    let jid = Jid::parse(&chat_id)
        .map_err(|_| AppError::internal("WAHA named a chat id that is not a WhatsApp id"))?;
    let chat = ChatRef::Contact {
        contact: &contact,
        wa_chat_id: &jid,
    };
    queue(store, clock, actor, &channel, chat, out.content, None).await
}

async fn queue<S>(
    store: &S,
    clock: &dyn Clock,
    actor: &Actor,
    channel: &Channel,
    chat: ChatRef<'_>,
    content: OutboundContent,
    reply_to: Option<(MessageId, String)>,
) -> AppResult<Message>
where
    S: AccessStore + IngestStore + ?Sized,
{
    let agent = sending_agent(store, clock, actor).await?;
    queue_send(
        store,
        clock.now(),
        QueueSend {
            channel,
            chat,
            agent: &agent,
            content,
            reply_to,
        },
        &actor.ctx,
    )
    .await
}

/// The message replied to, checked to be of the chat, with its WhatsApp id.
async fn reply_target<S>(
    store: &S,
    actor: &Actor,
    chat: &Chat,
    reply_to: Option<MessageId>,
) -> AppResult<Option<(MessageId, String)>>
where
    S: ConversationStore + ?Sized,
{
    let reply_to = match reply_to {
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
    Ok(reply_to)
}
