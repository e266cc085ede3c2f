//! Contacts: CRUD, search, bulk tags, timeline, messages and notes.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{
    BulkTagsIn, BulkTagsOut, ContactOut, CreateContactIn, CreateNoteIn, ListResponse, PageQuery,
    UpdateContactIn,
};
use crate::error::{ApiError, AuthErrors, BodyErrors, ConflictError, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::{page, page_of};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use ventros_app::ports::{ContactEventFilter, ContactFilter, MessageFilter, SortKey};
use ventros_app::usecases::contacts::{self, CreateContact};
use ventros_app::usecases::notes::{self, NoteTarget};
use ventros_app::usecases::read_models;
use ventros_domain::contact::{Contact, ContactPatch};
use ventros_domain::ids::{ContactId, PipelineId};
use ventros_domain::message::Message;
use ventros_domain::note::Note;
use ventros_domain::phone::Phone;
use ventros_domain::timeline::ContactEvent;

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
pub enum ContactSort {
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "updated_at")]
    UpdatedAt,
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ContactsQuery {
    /// Exact phone (E.164).
    phone: Option<String>,
    /// Case-insensitive substring of the name or the phone (at most 100 characters).
    search: Option<String>,
    /// Comma-separated; contacts with any of these tags.
    tags: Option<String>,
    pipeline_id: Option<PipelineId>,
    created_after: Option<DateTime<Utc>>,
    created_before: Option<DateTime<Utc>>,
    /// `created_at` (default), `-created_at`, `updated_at` or `-updated_at`.
    #[param(inline)]
    sort: Option<ContactSort>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// Contacts as the caller's project sees them (see `ContactOut`).
async fn seen(s: &AppState, p: &Principal, cs: Vec<Contact>) -> Result<Vec<ContactOut>, ApiError> {
    let own = contacts::own_pipelines(s.store.as_ref(), p, &cs).await?;
    Ok(cs.into_iter().map(|c| ContactOut::seen(c, &own)).collect())
}

async fn one_seen(s: &AppState, p: &Principal, c: Contact) -> Result<ContactOut, ApiError> {
    let own = contacts::own_pipelines(s.store.as_ref(), p, std::slice::from_ref(&c)).await?;
    Ok(ContactOut::seen(c, &own))
}

/// Create a contact
#[utoipa::path(post, path = "/v1/contacts", tag = "contacts", request_body = CreateContactIn, responses((status = 201, body = ContactOut), AuthErrors, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateContactIn>,
) -> Result<(StatusCode, Json<ContactOut>), ApiError> {
    let c = contacts::create_contact(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        CreateContact {
            name: b.name,
            phone: b.phone,
            email: b.email,
            tags: b.tags,
            custom_fields: b.custom_fields,
            pipeline_id: b.pipeline_id,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(one_seen(&s, &p, c).await?)))
}

/// List and search contacts
#[utoipa::path(get, path = "/v1/contacts", tag = "contacts", params(ContactsQuery), responses((status = 200, body = ListResponse<ContactOut>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<ContactsQuery>,
) -> Result<Json<ListResponse<ContactOut>>, ApiError> {
    let pg = page(q.limit, q.cursor.as_deref())?;
    let f = ContactFilter {
        phone: q
            .phone
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(Phone::parse)
            .transpose()?,
        search: q.search.filter(|s| !s.trim().is_empty()),
        tags: q
            .tags
            .as_deref()
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect(),
        pipeline_id: q.pipeline_id,
        created_after: q.created_after,
        created_before: q.created_before,
        sort: match q.sort {
            None | Some(ContactSort::CreatedAt) => SortKey::CreatedAsc,
            Some(ContactSort::CreatedAtDesc) => SortKey::CreatedDesc,
            Some(ContactSort::UpdatedAt) => SortKey::UpdatedAsc,
            Some(ContactSort::UpdatedAtDesc) => SortKey::UpdatedDesc,
        },
    };
    let found = contacts::list_contacts(s.store.as_ref(), &p, &f, pg).await?;
    Ok(Json(ListResponse {
        data: seen(&s, &p, found.data).await?,
        next_cursor: found.next_cursor,
    }))
}

/// Get a contact
#[utoipa::path(get, path = "/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "Contact id")), responses((status = 200, body = ContactOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ContactOut>, ApiError> {
    let id = path_id(&id, "contact")?;
    let c = contacts::get_contact(s.store.as_ref(), &p, id.into()).await?;
    Ok(Json(one_seen(&s, &p, c).await?))
}

/// Update a contact
#[utoipa::path(patch, path = "/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "Contact id")), request_body = UpdateContactIn, responses((status = 200, body = ContactOut), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateContactIn>,
) -> Result<Json<ContactOut>, ApiError> {
    let id = path_id(&id, "contact")?;
    let patch = ContactPatch {
        name: b.name,
        phone: b
            .phone
            .map(|o| o.as_deref().map(Phone::parse).transpose())
            .transpose()?,
        email: b.email,
        tags: b.tags.map(Option::unwrap_or_default),
        custom_fields: b.custom_fields,
        pipeline_id: b.pipeline_id,
    };
    let c =
        contacts::update_contact(s.store.as_ref(), s.clock.as_ref(), &p, id.into(), patch).await?;
    Ok(Json(one_seen(&s, &p, c).await?))
}

/// Delete a contact
///
/// Deletes the contact: it disappears from lists and lookups, its conversations stay, and
/// its phone can be used by a new contact.
#[utoipa::path(delete, path = "/v1/contacts/{id}", tag = "contacts", params(("id" = String, Path, description = "Contact id")), responses((status = 204, description = "Deleted"), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "contact")?;
    contacts::delete_contact(s.store.as_ref(), s.clock.as_ref(), &p, id.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add and remove tags on many contacts
///
/// Adds and removes tags on up to 200 contacts, all or nothing.
#[utoipa::path(post, path = "/v1/contacts/bulk-tags", tag = "contacts", request_body = BulkTagsIn, responses((status = 200, description = "The contacts after the change", body = BulkTagsOut), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn bulk_tags(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<BulkTagsIn>,
) -> Result<Json<BulkTagsOut>, ApiError> {
    let ids: Vec<ContactId> = b.contact_ids;
    let data = contacts::bulk_tags(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        &ids,
        &b.add,
        &b.remove,
    )
    .await?;
    Ok(Json(BulkTagsOut {
        data: seen(&s, &p, data).await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineQuery {
    /// Event type, e.g. `session.started`, `note.added`.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    event_type: Option<String>,
    /// `lifecycle`, `profile`, `conversation`, `call` or `note`.
    category: Option<String>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// A contact's timeline
#[utoipa::path(get, path = "/v1/contacts/{id}/events", tag = "contacts", params(("id" = String, Path, description = "Contact id"), TimelineQuery), responses((status = 200, description = "The contact timeline, oldest first", body = ListResponse<ContactEvent>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn timeline(
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
        read_models::list_contact_events(s.store.as_ref(), &p, id.into(), &f, pg)
            .await?
            .into(),
    ))
}

/// A contact's messages
#[utoipa::path(get, path = "/v1/contacts/{id}/messages", tag = "contacts", params(("id" = String, Path, description = "Contact id"), PageQuery), responses((status = 200, description = "The contact's messages in every chat, oldest first", body = ListResponse<Message>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn messages(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Message>>, ApiError> {
    let id = path_id(&id, "contact")?;
    let f = MessageFilter {
        contact_id: Some(id.into()),
        ..Default::default()
    };
    Ok(Json(
        read_models::list_messages(s.store.as_ref(), &p, &f, page_of(&q)?)
            .await?
            .into(),
    ))
}

/// Add a note to a contact
#[utoipa::path(post, path = "/v1/contacts/{id}/notes", tag = "notes", params(("id" = String, Path, description = "Contact id")), request_body = CreateNoteIn, responses((status = 201, body = Note), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn add_note(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CreateNoteIn>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let id = path_id(&id, "contact")?;
    let n = notes::add_note(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        NoteTarget::Contact(id.into()),
        &b.body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(n)))
}

/// A contact's notes
#[utoipa::path(get, path = "/v1/contacts/{id}/notes", tag = "notes", params(("id" = String, Path, description = "Contact id"), PageQuery), responses((status = 200, description = "Notes on the contact (also those on its sessions), oldest first", body = ListResponse<Note>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn list_notes(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Note>>, ApiError> {
    let id = path_id(&id, "contact")?;
    Ok(Json(
        notes::list_notes(
            s.store.as_ref(),
            &p,
            NoteTarget::Contact(id.into()),
            page_of(&q)?,
        )
        .await?
        .into(),
    ))
}
