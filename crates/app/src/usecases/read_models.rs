//! Reads for the API: each missing or foreign id is the same `NotFound`.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{
    ContactEventFilter, ConversationFilter, ConversationStore, CrmStore, EventFilter, EventLog,
    MessageFilter,
};
use ventros_domain::chat::{Chat, Participant};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChatId, ContactId, MessageId, SessionId};
use ventros_domain::message::Message;
use ventros_domain::rbac::Permission;
use ventros_domain::session::Session;
use ventros_domain::timeline::ContactEvent;

pub async fn list_chats(
    store: &dyn ConversationStore,
    actor: &Actor,
    f: &ConversationFilter,
    page: PageRequest,
) -> AppResult<Page<Chat>> {
    actor.require(Permission::MessagesRead)?;
    store.list_chats(actor.scope, f, page).await
}

pub async fn get_chat(
    store: &dyn ConversationStore,
    actor: &Actor,
    id: ChatId,
) -> AppResult<(Chat, Vec<Participant>)> {
    actor.require(Permission::MessagesRead)?;
    let chat = store
        .get_chat(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("chat"))?;
    let participants = store.list_participants(actor.scope, id).await?;
    Ok((chat, participants))
}

/// Messages matching `f`; when `f` names a chat, session or contact, that one must exist.
pub async fn list_messages(
    store: &(impl ConversationStore + CrmStore + ?Sized),
    actor: &Actor,
    f: &MessageFilter,
    page: PageRequest,
) -> AppResult<Page<Message>> {
    actor.require(Permission::MessagesRead)?;
    if let Some(c) = f.chat_id
        && store.get_chat(actor.scope, c).await?.is_none()
    {
        return Err(AppError::NotFound("chat"));
    }
    if let Some(s) = f.session_id
        && store.get_session(actor.scope, s).await?.is_none()
    {
        return Err(AppError::NotFound("session"));
    }
    if let Some(c) = f.contact_id
        && store.get_contact(actor.scope, c).await?.is_none()
    {
        return Err(AppError::NotFound("contact"));
    }
    store.find_messages(actor.scope, f, page).await
}

pub async fn get_message(
    store: &dyn ConversationStore,
    actor: &Actor,
    id: MessageId,
) -> AppResult<Message> {
    actor.require(Permission::MessagesRead)?;
    store
        .get_message(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("message"))
}

pub async fn list_sessions(
    store: &dyn ConversationStore,
    actor: &Actor,
    f: &ConversationFilter,
    page: PageRequest,
) -> AppResult<Page<Session>> {
    actor.require(Permission::SessionsRead)?;
    store.list_sessions(actor.scope, f, page).await
}

pub async fn get_session(
    store: &dyn ConversationStore,
    actor: &Actor,
    id: SessionId,
) -> AppResult<Session> {
    actor.require(Permission::SessionsRead)?;
    store
        .get_session(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("session"))
}

pub async fn list_contact_events(
    store: &dyn CrmStore,
    actor: &Actor,
    contact: ContactId,
    f: &ContactEventFilter,
    page: PageRequest,
) -> AppResult<Page<ContactEvent>> {
    actor.require(Permission::ContactsRead)?;
    if store.get_contact(actor.scope, contact).await?.is_none() {
        return Err(AppError::NotFound("contact"));
    }
    store
        .list_contact_events(actor.scope, contact, f, page)
        .await
}

/// A filter of the feed as a caller gives it: a type (exact or `prefix.*`), an aggregate, and
/// the id of the last event the caller has seen.
#[derive(Debug, Clone, Default)]
pub struct FeedQuery {
    pub event_type: Option<String>,
    pub aggregate_id: Option<uuid::Uuid>,
    pub after: Option<ventros_domain::ids::EventId>,
}

/// Checks a feed query and turns it into the store's filter.
pub async fn feed_filter(
    store: &dyn EventLog,
    actor: &Actor,
    q: FeedQuery,
) -> AppResult<EventFilter> {
    actor.require(Permission::EventsRead)?;
    let event_type = q
        .event_type
        .map(|t| {
            ventros_domain::webhook::validate_event_filters(std::slice::from_ref(&t))
                .map(|_| t.trim().to_string())
        })
        .transpose()
        .map_err(|e| AppError::validation("type", e.to_string()))?;
    let after_position = match q.after {
        Some(id) => Some(
            store
                .event_position(actor.scope, id)
                .await?
                .ok_or_else(|| AppError::validation("after", "no such event in this tenant"))?,
        ),
        None => None,
    };
    Ok(EventFilter {
        event_type,
        aggregate_id: q.aggregate_id,
        after_position,
    })
}

/// The feed's current end, for a stream that starts with what comes next.
pub async fn feed_end(store: &dyn EventLog, actor: &Actor) -> AppResult<i64> {
    actor.require(Permission::EventsRead)?;
    store.feed_end(actor.scope).await
}

pub async fn list_events(
    store: &dyn EventLog,
    actor: &Actor,
    q: FeedQuery,
    page: PageRequest,
) -> AppResult<Page<EventEnvelope>> {
    let f = feed_filter(store, actor, q).await?;
    store.list_events(actor.scope, &f, page).await
}
