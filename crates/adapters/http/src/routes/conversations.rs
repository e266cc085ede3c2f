//! Reads of contacts, chats, messages, sessions, the contact timeline and the event feed.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::ListResponse;
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::{ApiQuery, path_id, query_id};
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::json;
use ventros_app::page::PageRequest;
use ventros_app::ports::{ChatFilter, ContactEventFilter, SessionFilter};
use ventros_app::usecases::read_models;
use ventros_domain::chat::Chat;
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::message::Message;
use ventros_domain::session::Session;
use ventros_domain::timeline::ContactEvent;

fn page(limit: Option<u32>, cursor: Option<&str>) -> Result<PageRequest, ApiError> {
    Ok(PageRequest::new(limit, cursor)?)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    phone: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/contacts", tag = "contacts", params(ContactsQuery), responses((status = 200, body = ListResponse<Contact>), (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn list_contacts(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ContactsQuery>,
) -> Result<Json<ListResponse<Contact>>, ApiError> {
    let pg = page(q.limit, q.cursor.as_deref())?;
    let phone = q.phone.as_deref().filter(|s| !s.is_empty());
    Ok(Json(
        read_models::list_contacts(s.store.as_ref(), p.scope, phone, pg)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "Contact id")), responses((status = 200, body = Contact), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 404, description = "Not found in your tenant", body = ErrorBody)), security(("api_key" = [])))]
pub async fn get_contact(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Contact>, ApiError> {
    let id = path_id(&id, "contact")?;
    Ok(Json(
        read_models::get_contact(s.store.as_ref(), p.scope, id.into()).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    #[serde(rename = "type")]
    event_type: Option<String>,
    category: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/contacts/{id}/events", tag = "contacts", params(("id" = String, Path, description = "Contact id"), TimelineQuery), responses((status = 200, description = "The contact timeline", body = ListResponse<ContactEvent>), (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 404, description = "Not found in your tenant", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn contact_events(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<TimelineQuery>,
) -> Result<Json<ListResponse<ContactEvent>>, ApiError> {
    let id = path_id(&id, "contact")?;
    let f = ContactEventFilter {
        event_type: q.event_type.filter(|s| !s.is_empty()),
        category: q.category.filter(|s| !s.is_empty()),
    };
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_contact_events(s.store.as_ref(), p.scope, id.into(), &f, pg)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChatsQuery {
    contact_id: Option<String>,
    channel_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/chats", tag = "chats", params(ChatsQuery), responses((status = 200, body = ListResponse<Chat>), (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn list_chats(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ChatsQuery>,
) -> Result<Json<ListResponse<Chat>>, ApiError> {
    let f = ChatFilter {
        contact_id: query_id(q.contact_id.as_deref(), "contact_id")?.map(Into::into),
        channel_id: query_id(q.channel_id.as_deref(), "channel_id")?.map(Into::into),
    };
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_chats(s.store.as_ref(), p.scope, &f, pg)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/chats/{id}", tag = "chats", params(("id" = String, Path, description = "Chat id")), responses((status = 200, description = "The chat with its `participants`", body = Chat), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 404, description = "Not found in your tenant", body = ErrorBody)), security(("api_key" = [])))]
pub async fn get_chat(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let id = path_id(&id, "chat")?;
    let chat = read_models::get_chat(s.store.as_ref(), p.scope, id.into()).await?;
    let participants = s.store.list_participants(p.scope, chat.id).await?;
    let mut v = serde_json::to_value(&chat)
        .map_err(|e| ApiError::App(ventros_app::AppError::Internal(e.to_string())))?;
    v["participants"] = json!(participants);
    Ok(Json(v))
}

#[utoipa::path(get, path = "/v1/chats/{id}/messages", tag = "chats", params(("id" = String, Path, description = "Chat id"), crate::dto::PageQuery), responses((status = 200, description = "Oldest first by WhatsApp timestamp", body = ListResponse<Message>), (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 404, description = "Not found in your tenant", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn chat_messages(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<crate::dto::PageQuery>,
) -> Result<Json<ListResponse<Message>>, ApiError> {
    let id = path_id(&id, "chat")?;
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_chat_messages(s.store.as_ref(), p.scope, id.into(), pg)
            .await?
            .into(),
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SessionsQuery {
    contact_id: Option<String>,
    chat_id: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
}

#[utoipa::path(get, path = "/v1/sessions", tag = "sessions", params(SessionsQuery), responses((status = 200, body = ListResponse<Session>), (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn list_sessions(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<SessionsQuery>,
) -> Result<Json<ListResponse<Session>>, ApiError> {
    let f = SessionFilter {
        contact_id: query_id(q.contact_id.as_deref(), "contact_id")?.map(Into::into),
        chat_id: query_id(q.chat_id.as_deref(), "chat_id")?.map(Into::into),
    };
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        read_models::list_sessions(s.store.as_ref(), p.scope, &f, pg)
            .await?
            .into(),
    ))
}

#[utoipa::path(get, path = "/v1/events", tag = "events", params(crate::dto::PageQuery), responses((status = 200, description = "The tenant's events in outbox order", body = ListResponse<EventEnvelope>), (status = 400, description = "Unknown or malformed query parameter", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
pub async fn list_events(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<crate::dto::PageQuery>,
) -> Result<Json<ListResponse<EventEnvelope>>, ApiError> {
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(s.store.list_events(p.scope, pg).await?.into()))
}
