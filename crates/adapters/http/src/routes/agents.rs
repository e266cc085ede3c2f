//! Agents of the project: humans (linked to users), bots and the system.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{CreateAgentIn, ListResponse, PageQuery, UpdateAgentIn};
use crate::error::{ApiError, AuthErrors, BodyErrors, ConflictError, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::agents;
use ventros_domain::agent::Agent;

/// Create an agent
#[utoipa::path(post, path = "/v1/agents", tag = "agents", request_body = CreateAgentIn, responses((status = 201, body = Agent), AuthErrors, ConflictError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateAgentIn>,
) -> Result<(StatusCode, Json<Agent>), ApiError> {
    let a = agents::create_agent(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        b.kind,
        &b.name,
        b.user_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// List agents
#[utoipa::path(get, path = "/v1/agents", tag = "agents", params(PageQuery), responses((status = 200, body = ListResponse<Agent>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Agent>>, ApiError> {
    Ok(Json(
        agents::list_agents(s.store.as_ref(), &p, page_of(&q)?)
            .await?
            .into(),
    ))
}

/// Get an agent
#[utoipa::path(get, path = "/v1/agents/{id}", tag = "agents", params(("id" = String, Path, description = "Agent id")), responses((status = 200, body = Agent), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Agent>, ApiError> {
    let id = path_id(&id, "agent")?;
    Ok(Json(
        agents::get_agent(s.store.as_ref(), &p, id.into()).await?,
    ))
}

/// Rename, activate or deactivate an agent
#[utoipa::path(patch, path = "/v1/agents/{id}", tag = "agents", params(("id" = String, Path, description = "Agent id")), request_body = UpdateAgentIn, responses((status = 200, body = Agent), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateAgentIn>,
) -> Result<Json<Agent>, ApiError> {
    let id = path_id(&id, "agent")?;
    let a = agents::update_agent(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        id.into(),
        b.name.as_deref(),
        b.active,
    )
    .await?;
    Ok(Json(a))
}
