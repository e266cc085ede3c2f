//! Closing, reopening, assigning and transferring sessions; the assignment history.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::double_option;
use crate::error::{ApiError, AuthErrors, BodyErrors, ConflictError, InputErrors, NotFoundError};
use crate::extract::{ApiJson, path_id};
use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use ventros_app::usecases::session_lifecycle::{self as lifecycle, Handover};
use ventros_domain::ids::AgentId;
use ventros_domain::session::{Assignment, Session};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIn {
    /// Why it ended (1 to 200 characters), e.g. `resolved`.
    pub reason: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignIn {
    /// The agent to put on duty; `null` unassigns.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub agent_id: Option<Option<AgentId>>,
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferIn {
    pub to_agent_id: AgentId,
    /// Context for the next agent (at most 2000 characters).
    pub note: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AssignmentsOut {
    pub data: Vec<Assignment>,
}

/// Close a session
#[utoipa::path(post, path = "/v1/sessions/{id}/close", tag = "sessions", params(("id" = String, Path, description = "Session id")), request_body = CloseIn, responses((status = 200, body = Session), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn close(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CloseIn>,
) -> Result<Json<Session>, ApiError> {
    let id = path_id(&id, "session")?;
    let out =
        lifecycle::close_session(s.store.as_ref(), s.clock.as_ref(), &p, id.into(), &b.reason)
            .await?;
    Ok(Json(out))
}

/// Reopen an ended session
#[utoipa::path(post, path = "/v1/sessions/{id}/reopen", tag = "sessions", params(("id" = String, Path, description = "Session id")), responses((status = 200, body = Session), AuthErrors, NotFoundError, ConflictError, InputErrors), security(("bearer" = [])))]
pub async fn reopen(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Session>, ApiError> {
    let id = path_id(&id, "session")?;
    let out = lifecycle::reopen_session(s.store.as_ref(), s.clock.as_ref(), &p, id.into()).await?;
    Ok(Json(out))
}

/// Assign or unassign a session
#[utoipa::path(post, path = "/v1/sessions/{id}/assign", tag = "sessions", params(("id" = String, Path, description = "Session id")), request_body = AssignIn, responses((status = 200, body = Session), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn assign(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AssignIn>,
) -> Result<Json<Session>, ApiError> {
    let id = path_id(&id, "session")?;
    let Some(agent) = b.agent_id else {
        return Err(
            ventros_app::AppError::validation("agent_id", "required (null unassigns)").into(),
        );
    };
    let out = lifecycle::assign_session(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        id.into(),
        agent,
        b.note,
        Handover::Assign,
    )
    .await?;
    Ok(Json(out))
}

/// Transfer a session to another agent
#[utoipa::path(post, path = "/v1/sessions/{id}/transfer", tag = "sessions", params(("id" = String, Path, description = "Session id")), request_body = TransferIn, responses((status = 200, body = Session), AuthErrors, NotFoundError, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn transfer(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TransferIn>,
) -> Result<Json<Session>, ApiError> {
    let id = path_id(&id, "session")?;
    let out = lifecycle::assign_session(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        id.into(),
        Some(b.to_agent_id),
        b.note,
        Handover::Transfer,
    )
    .await?;
    Ok(Json(out))
}

/// A session's assignment history
#[utoipa::path(get, path = "/v1/sessions/{id}/assignments", tag = "sessions", params(("id" = String, Path, description = "Session id")), responses((status = 200, description = "Every assignment interval, oldest first", body = AssignmentsOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn assignments(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<AssignmentsOut>, ApiError> {
    let id = path_id(&id, "session")?;
    Ok(Json(AssignmentsOut {
        data: lifecycle::list_assignments(s.store.as_ref(), &p, id.into()).await?,
    }))
}
