//! Pipelines of the project.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{CreatePipelineIn, ListResponse, PageQuery, UpdatePipelineIn};
use crate::error::{ApiError, AuthErrors, BodyErrors, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::pipelines;
use ventros_domain::pipeline::Pipeline;

/// Create a pipeline
#[utoipa::path(post, path = "/v1/pipelines", tag = "pipelines", request_body = CreatePipelineIn, responses((status = 201, body = Pipeline), AuthErrors, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreatePipelineIn>,
) -> Result<(StatusCode, Json<Pipeline>), ApiError> {
    let pl = pipelines::create_pipeline(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        &b.name,
        b.session_timeout_seconds,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(pl)))
}

/// List pipelines
#[utoipa::path(get, path = "/v1/pipelines", tag = "pipelines", params(PageQuery), responses((status = 200, body = ListResponse<Pipeline>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Pipeline>>, ApiError> {
    Ok(Json(
        pipelines::list_pipelines(s.store.as_ref(), &p, page_of(&q)?)
            .await?
            .into(),
    ))
}

/// Get a pipeline
#[utoipa::path(get, path = "/v1/pipelines/{id}", tag = "pipelines", params(("id" = String, Path, description = "Pipeline id")), responses((status = 200, body = Pipeline), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Pipeline>, ApiError> {
    let id = path_id(&id, "pipeline")?;
    Ok(Json(
        pipelines::get_pipeline(s.store.as_ref(), &p, id.into()).await?,
    ))
}

/// Update a pipeline
#[utoipa::path(patch, path = "/v1/pipelines/{id}", tag = "pipelines", params(("id" = String, Path, description = "Pipeline id")), request_body = UpdatePipelineIn, responses((status = 200, body = Pipeline), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdatePipelineIn>,
) -> Result<Json<Pipeline>, ApiError> {
    let id = path_id(&id, "pipeline")?;
    let pl = pipelines::update_pipeline(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        id.into(),
        b.name.as_deref(),
        b.session_timeout_seconds,
    )
    .await?;
    Ok(Json(pl))
}
