//! Agents of a project: humans (linked to a user), bots and the system.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{AccessStore, Clock};
use serde_json::json;
use ventros_domain::agent::{Agent, AgentKind, check_link};
use ventros_domain::event::EventType;
use ventros_domain::ids::{AgentId, UserId};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::validate_name;

fn payload(a: &Agent) -> serde_json::Value {
    json!({"agent_id": a.id, "kind": a.kind, "name": a.name, "user_id": a.user_id, "active": a.active})
}

pub async fn create_agent(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    actor: &Actor,
    kind: AgentKind,
    name: &str,
    user_id: Option<UserId>,
) -> AppResult<Agent> {
    actor.require(Permission::AgentsManage)?;
    check_link(kind, user_id)?;
    if let Some(u) = user_id
        && store.get_user(actor.scope.tenant_id, u).await?.is_none()
    {
        return Err(AppError::validation(
            "user_id",
            "no such user in this tenant",
        ));
    }
    let now = clock.now();
    let a = Agent {
        id: AgentId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        kind,
        name: validate_name("name", name)?,
        user_id,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let event = actor.event(EventType::AgentCreated, a.id.0, now, payload(&a));
    store.insert_agent(&a, &event).await.map_err(|e| match e {
        AppError::Conflict { .. } => AppError::conflict(
            "agent_exists",
            "this user already has an agent in this project",
        ),
        other => other,
    })?;
    Ok(a)
}

pub async fn get_agent(store: &dyn AccessStore, actor: &Actor, id: AgentId) -> AppResult<Agent> {
    actor.require(Permission::AgentsRead)?;
    store
        .get_agent(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("agent"))
}

pub async fn list_agents(
    store: &dyn AccessStore,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<Agent>> {
    actor.require(Permission::AgentsRead)?;
    store.list_agents(actor.scope, page).await
}

pub async fn update_agent(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: AgentId,
    name: Option<&str>,
    active: Option<bool>,
) -> AppResult<Agent> {
    actor.require(Permission::AgentsManage)?;
    let mut a = store
        .get_agent(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("agent"))?;
    let before = a.clone();
    if let Some(n) = name {
        a.name = validate_name("name", n)?;
    }
    if let Some(v) = active {
        a.active = v;
    }
    if a == before {
        return Ok(a);
    }
    let now = clock.now();
    a.updated_at = now;
    let event = actor.event(EventType::AgentUpdated, a.id.0, now, payload(&a));
    store.update_agent(&a, &event).await?;
    Ok(a)
}
