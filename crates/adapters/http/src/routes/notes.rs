//! Notes on sessions, and deleting any note.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{CreateNoteIn, ListResponse, PageQuery};
use crate::error::{ApiError, AuthErrors, BodyErrors, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::notes::{self, NoteTarget};
use ventros_domain::note::Note;

/// Add a note to a session
#[utoipa::path(post, path = "/v1/sessions/{id}/notes", tag = "notes", params(("id" = String, Path, description = "Session id")), request_body = CreateNoteIn, responses((status = 201, description = "Note on the session, also on the contact's timeline", body = Note), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn add_to_session(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CreateNoteIn>,
) -> Result<(StatusCode, Json<Note>), ApiError> {
    let id = path_id(&id, "session")?;
    let n = notes::add_note(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        NoteTarget::Session(id.into()),
        &b.body,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(n)))
}

/// A session's notes
#[utoipa::path(get, path = "/v1/sessions/{id}/notes", tag = "notes", params(("id" = String, Path, description = "Session id"), PageQuery), responses((status = 200, body = ListResponse<Note>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn list_for_session(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Note>>, ApiError> {
    let id = path_id(&id, "session")?;
    Ok(Json(
        notes::list_notes(
            s.store.as_ref(),
            &p,
            NoteTarget::Session(id.into()),
            page_of(&q)?,
        )
        .await?
        .into(),
    ))
}

/// Delete a note
#[utoipa::path(delete, path = "/v1/notes/{id}", tag = "notes", params(("id" = String, Path, description = "Note id")), responses((status = 204, description = "Deleted"), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "note")?;
    notes::delete_note(s.store.as_ref(), s.clock.as_ref(), &p, id.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}
