//! Inspecting jobs (dead letters above all) and retrying dead ones.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, JobStore};
use ventros_domain::ids::JobId;
use ventros_domain::job::{Job, JobStatus};
use ventros_domain::rbac::Permission;

pub async fn list_jobs(
    store: &dyn JobStore,
    actor: &Actor,
    status: Option<JobStatus>,
    page: PageRequest,
) -> AppResult<Page<Job>> {
    actor.require(Permission::JobsManage)?;
    store.list_jobs(actor.scope.tenant_id, status, page).await
}

pub async fn get_job(store: &dyn JobStore, actor: &Actor, id: JobId) -> AppResult<Job> {
    actor.require(Permission::JobsManage)?;
    store
        .get_job(actor.scope.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("job"))
}

/// Runs a dead job again as soon as a worker is free. Only dead jobs can be retried.
pub async fn retry_job(
    store: &dyn JobStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: JobId,
) -> AppResult<Job> {
    let j = get_job(store, actor, id).await?;
    if j.status != JobStatus::Dead {
        return Err(AppError::Unprocessable {
            code: "job_not_dead",
            message: format!(
                "only dead jobs can be retried; this one is {}",
                j.status.as_str()
            ),
        });
    }
    store
        .retry_job(actor.scope.tenant_id, id, clock.now())
        .await?;
    get_job(store, actor, id).await
}
