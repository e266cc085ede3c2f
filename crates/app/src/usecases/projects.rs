//! Projects: separate workspaces inside a tenant (channels, chats, agents).

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{AccessStore, Clock};
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::ids::ProjectId;
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::{Project, validate_name};

pub async fn create_project(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    actor: &Actor,
    name: &str,
) -> AppResult<Project> {
    actor.require(Permission::ProjectsManage)?;
    let now = clock.now();
    let p = Project {
        id: ProjectId::new(),
        tenant_id: actor.scope.tenant_id,
        name: validate_name("name", name)?,
        created_at: now,
    };
    let mut event = actor.event(
        EventType::ProjectCreated,
        p.id.0,
        now,
        json!({"project_id": p.id, "name": p.name}),
    );
    event.project_id = p.id;
    store.insert_project(&p, &event).await?;
    Ok(p)
}

pub async fn list_projects(
    store: &dyn AccessStore,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<Project>> {
    actor.require(Permission::ProjectsManage)?;
    store.list_projects(actor.scope.tenant_id, page).await
}

pub async fn get_project(
    store: &dyn AccessStore,
    actor: &Actor,
    id: ProjectId,
) -> AppResult<Project> {
    actor.require(Permission::ProjectsManage)?;
    store
        .get_project(actor.scope.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("project"))
}
