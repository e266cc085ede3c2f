//! Projects of the tenant (admins only). Users pick one with `X-Project-Id`.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{CreateProjectIn, ListResponse, PageQuery};
use crate::error::{ApiError, AuthErrors, BodyErrors, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::projects;
use ventros_domain::tenancy::Project;

/// Create a project
#[utoipa::path(post, path = "/v1/projects", tag = "projects", request_body = CreateProjectIn, responses((status = 201, body = Project), AuthErrors, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateProjectIn>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let pr = projects::create_project(s.store.as_ref(), s.clock.as_ref(), &p, &b.name).await?;
    Ok((StatusCode::CREATED, Json(pr)))
}

/// List projects
#[utoipa::path(get, path = "/v1/projects", tag = "projects", params(PageQuery), responses((status = 200, body = ListResponse<Project>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<Project>>, ApiError> {
    Ok(Json(
        projects::list_projects(s.store.as_ref(), &p, page_of(&q)?)
            .await?
            .into(),
    ))
}

/// Get a project
#[utoipa::path(get, path = "/v1/projects/{id}", tag = "projects", params(("id" = String, Path, description = "Project id")), responses((status = 200, body = Project), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Project>, ApiError> {
    let id = path_id(&id, "project")?;
    Ok(Json(
        projects::get_project(s.store.as_ref(), &p, id.into()).await?,
    ))
}
