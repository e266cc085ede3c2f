//! Durable jobs of the tenant: list (dead letters with `?status=dead`), get, retry.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::ListResponse;
use crate::error::{ApiError, AuthErrors, InputErrors, NotFoundError};
use crate::extract::{ApiQuery, path_id};
use crate::routes::common::page;
use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use ventros_app::usecases::jobs;
use ventros_domain::job::{Job, JobStatus};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// `pending`, `done` or `dead`.
    #[param(inline)]
    status: Option<JobStatus>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

/// List jobs
#[utoipa::path(get, path = "/v1/jobs", tag = "jobs", params(JobsQuery), responses((status = 200, body = ListResponse<Job>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<JobsQuery>,
) -> Result<Json<ListResponse<Job>>, ApiError> {
    let pg = page(q.limit, q.cursor.as_deref())?;
    Ok(Json(
        jobs::list_jobs(s.store.as_ref(), &p, q.status, pg)
            .await?
            .into(),
    ))
}

/// Get a job
#[utoipa::path(get, path = "/v1/jobs/{id}", tag = "jobs", params(("id" = String, Path, description = "Job id")), responses((status = 200, body = Job), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id = path_id(&id, "job")?;
    Ok(Json(jobs::get_job(s.store.as_ref(), &p, id.into()).await?))
}

/// Retry a dead job
///
/// Makes a dead job pending again, due now, with its attempts reset.
#[utoipa::path(post, path = "/v1/jobs/{id}/retry", tag = "jobs", params(("id" = String, Path, description = "Job id")), responses((status = 200, body = Job), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn retry(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    let id = path_id(&id, "job")?;
    Ok(Json(
        jobs::retry_job(s.store.as_ref(), s.clock.as_ref(), &p, id.into()).await?,
    ))
}
