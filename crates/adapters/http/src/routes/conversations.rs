//! Reads of chats, sessions, messages and the event feed.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{ChatOut, ListResponse, PageQuery};
use crate::error::{ApiError, AuthErrors, InputErrors, NotFoundError};
use crate::extract::{ApiQuery, path_id};
use crate::routes::common::{page, page_of};
use axum::Json;
use axum::extract::{Path, State};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use ventros_app::ports::{ConversationFilter, MessageFilter};
use ventros_app::usecases::read_models;
use ventros_domain::chat::Chat;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{AgentId, ChannelId, ChatId, ContactId, SessionId};
use ventros_domain::message::{Direction, Message};
use ventros_domain::session::{Session, SessionStatus};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChatsQuery {
    contact_id: Option<ContactId>,
    channel_id: Option<ChannelId>,
    /// Chats created at or after this time.
    created_after: Option<DateTime<Utc>>,
    /// Chats created before this time.
    created_before: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List chats
#[utoipa::path(get, path = "/v1/chats", tag = "chats", params(ChatsQuery), responses((status = 200, body = ListResponse<Chat>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list_chats(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ChatsQuery>,
) -> Result<Json<ListResponse<Chat>>, ApiError> {
    let f = ConversationFilter {
        contact_id: q.contact_id,
        channel_id: q.channel_id,
        after: q.created_after,
        before: q.created_before,
        ..Default::default()
    };
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_chats(s.store.as_ref(), &p, &f, pg)
            .await?
            .into(),
    ))
}

/// Get a chat and its participants
#[utoipa::path(get, path = "/v1/chats/{id}", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 200, description = "The chat with its participants", body = ChatOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get_chat(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChatOut>, ApiError> {
    let id = path_id(&id, "chat")?;
    let (chat, participants) = read_models::get_chat(s.store.as_ref(), &p, id.into()).await?;
    Ok(Json(ChatOut { chat, participants }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    chat_id: Option<ChatId>,
    session_id: Option<SessionId>,
    contact_id: Option<ContactId>,
    channel_id: Option<ChannelId>,
    #[param(inline)]
    direction: Option<Direction>,
    /// Sent at or after this time.
    sent_after: Option<DateTime<Utc>>,
    /// Sent before this time.
    sent_before: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List messages
#[utoipa::path(get, path = "/v1/messages", tag = "messages", params(MessagesQuery), responses((status = 200, description = "Oldest first by WhatsApp timestamp", body = ListResponse<Message>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn list_messages(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<MessagesQuery>,
) -> Result<Json<ListResponse<Message>>, ApiError> {
    let f = MessageFilter {
        chat_id: q.chat_id,
        session_id: q.session_id,
        contact_id: q.contact_id,
        channel_id: q.channel_id,
        direction: q.direction,
        sent_after: q.sent_after,
        sent_before: q.sent_before,
    };
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_messages(s.store.as_ref(), &p, &f, pg)
            .await?
            .into(),
    ))
}

/// Get a message
#[utoipa::path(get, path = "/v1/messages/{id}", tag = "messages", params(("id" = String, Path, description = "Message id")), responses((status = 200, body = Message), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get_message(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Message>, ApiError> {
    let id = path_id(&id, "message")?;
    Ok(Json(
        read_models::get_message(s.store.as_ref(), &p, id.into()).await?,
    ))
}

/// A chat's messages
#[utoipa::path(get, path = "/v1/chats/{id}/messages", tag = "chats", params(("id" = String, Path, description = "Chat id"), PageQuery), responses((status = 200, description = "Oldest first by WhatsApp timestamp", body = ListResponse<Message>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn chat_messages(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Message>>, ApiError> {
    let id = path_id(&id, "chat")?;
    let f = MessageFilter {
        chat_id: Some(id.into()),
        ..Default::default()
    };
    Ok(Json(
        read_models::list_messages(s.store.as_ref(), &p, &f, page_of(&q)?)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionsQuery {
    contact_id: Option<ContactId>,
    chat_id: Option<ChatId>,
    channel_id: Option<ChannelId>,
    #[param(inline)]
    status: Option<SessionStatus>,
    agent_id: Option<AgentId>,
    /// Sessions started at or after this time.
    started_after: Option<DateTime<Utc>>,
    /// Sessions started before this time.
    started_before: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List sessions
#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", params(SessionsQuery), responses((status = 200, body = ListResponse<Session>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list_sessions(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<SessionsQuery>,
) -> Result<Json<ListResponse<Session>>, ApiError> {
    let f = ConversationFilter {
        contact_id: q.contact_id,
        channel_id: q.channel_id,
        chat_id: q.chat_id,
        status: q.status,
        agent_id: q.agent_id,
        after: q.started_after,
        before: q.started_before,
    };
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_sessions(s.store.as_ref(), &p, &f, pg)
            .await?
            .into(),
    ))
}

/// Get a session and its figures
#[utoipa::path(get, path = "/v1/sessions/{id}", tag = "sessions", params(("id" = String, Path, description = "Session id")), responses((status = 200, body = Session), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get_session(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    let id = path_id(&id, "session")?;
    Ok(Json(
        read_models::get_session(s.store.as_ref(), &p, id.into()).await?,
    ))
}

/// A session's messages
#[utoipa::path(get, path = "/v1/sessions/{id}/messages", tag = "sessions", params(("id" = String, Path, description = "Session id"), PageQuery), responses((status = 200, description = "The session's messages, oldest first", body = ListResponse<Message>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn session_messages(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Message>>, ApiError> {
    let id = path_id(&id, "session")?;
    let f = MessageFilter {
        session_id: Some(id.into()),
        ..Default::default()
    };
    Ok(Json(
        read_models::list_messages(s.store.as_ref(), &p, &f, page_of(&q)?)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// An exact event type, or `prefix.*` (`message.*`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    event_type: Option<String>,
    /// Events of this aggregate only (a message, a session, a contact…).
    aggregate_id: Option<uuid::Uuid>,
    /// Only events after this one (the id of the last event a poller handled).
    after: Option<ventros_domain::ids::EventId>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

impl EventsQuery {
    fn feed(&self) -> read_models::FeedQuery {
        read_models::FeedQuery {
            event_type: self.event_type.clone(),
            aggregate_id: self.aggregate_id,
            after: self.after,
        }
    }
}

/// The event feed
///
/// The tenant's events in outbox order. A poller keeps its place with `after` (the id of the
/// last event it handled), or with `next_cursor` while more pages follow.
#[utoipa::path(get, path = "/v1/events", tag = "events", params(EventsQuery), responses((status = 200, description = "The tenant's events in outbox order", body = ListResponse<EventEnvelope>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list_events(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<ListResponse<EventEnvelope>>, ApiError> {
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_events(s.store.as_ref(), &p, q.feed(), pg)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// An exact event type, or `prefix.*` (`message.*`).
    #[serde(rename = "type")]
    #[param(rename = "type")]
    event_type: Option<String>,
    /// Events of this aggregate only.
    aggregate_id: Option<uuid::Uuid>,
    /// Start after this event (as `Last-Event-ID` does); without either, only new events.
    after: Option<ventros_domain::ids::EventId>,
}

/// The event feed, live
///
/// Server-Sent Events: each event as `id` (the event id), `event` (its type) and `data` (the
/// envelope). Reconnecting with `Last-Event-ID` resumes after that event; without it (or
/// `after`) the stream starts with the events that come next.
#[utoipa::path(get, path = "/v1/events/stream", tag = "events", params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event id")), responses((status = 200, description = "text/event-stream of event envelopes", content_type = "text/event-stream", body = String), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn stream_events(
    State(s): State<AppState>,
    p: Principal,
    headers: axum::http::HeaderMap,
    ApiQuery(q): ApiQuery<StreamQuery>,
) -> Result<
    axum::response::sse::Sse<
        impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
    >,
    ApiError,
> {
    let last = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.parse::<uuid::Uuid>()
                .map(ventros_domain::ids::EventId)
                .map_err(|_| {
                    ApiError::App(ventros_app::AppError::validation(
                        "Last-Event-ID",
                        "not an event id",
                    ))
                })
        })
        .transpose()?;
    let feed = read_models::FeedQuery {
        event_type: q.event_type,
        aggregate_id: q.aggregate_id,
        after: last.or(q.after),
    };
    let mut filter = read_models::feed_filter(s.store.as_ref(), &p, feed).await?;
    if filter.after_position.is_none() {
        // Only what comes next: start at the feed's current end.
        filter.after_position = Some(read_models::feed_end(s.store.as_ref(), &p).await?);
    }
    Ok(crate::event_stream::sse(s.store.clone(), p.scope, filter))
}
