//! Agents of a project: humans (linked to a user), bots and the system.

use crate::actor::{Actor, Credential};
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{AccessStore, Clock};
use serde_json::json;
use ventros_domain::agent::{Agent, AgentKind, AgentOwner, check_link};
use ventros_domain::event::EventType;
use ventros_domain::ids::{AgentId, UserId};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::validate_name;

pub(crate) fn payload(a: &Agent) -> serde_json::Value {
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
        api_key_id: None,
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

/// The agent a caller sends as: a user's human agent, an API key's bot, Ventros' system
/// agent; made on first use (with `agent.created`) when the project has none yet.
pub async fn sending_agent(
    store: &(impl AccessStore + ?Sized),
    clock: &dyn Clock,
    actor: &Actor,
) -> AppResult<Agent> {
    let owner = match actor.credential {
        Credential::User(u) => AgentOwner::User(u),
        Credential::ApiKey(k) => AgentOwner::ApiKey(k),
        Credential::System => AgentOwner::System,
    };
    if let Some(a) = store.find_agent(actor.scope, owner).await? {
        return match a.active {
            true => Ok(a),
            false => Err(AppError::conflict(
                "agent_inactive",
                format!("the agent {} this caller sends as is inactive", a.id),
            )),
        };
    }
    let (kind, name, user_id, api_key_id) = match owner {
        AgentOwner::User(u) => {
            let user = store
                .get_user(actor.scope.tenant_id, u)
                .await?
                .ok_or(AppError::NotFound("user"))?;
            (AgentKind::Human, user.name, Some(u), None)
        }
        AgentOwner::ApiKey(k) => {
            let short: String = k.to_string().chars().take(8).collect();
            (AgentKind::Bot, format!("API key {short}"), None, Some(k))
        }
        AgentOwner::System => (AgentKind::System, "Ventros".to_string(), None, None),
    };
    let now = clock.now();
    let a = Agent {
        id: AgentId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        kind,
        name,
        user_id,
        api_key_id,
        active: true,
        created_at: now,
        updated_at: now,
    };
    let event = actor.event(EventType::AgentCreated, a.id.0, now, payload(&a));
    match store.insert_agent(&a, &event).await {
        Ok(()) => Ok(a),
        // Made by a concurrent send meanwhile.
        Err(AppError::Conflict { .. }) => store
            .find_agent(actor.scope, owner)
            .await?
            .ok_or_else(|| AppError::internal("an agent conflicted and then vanished")),
        Err(e) => Err(e),
    }
}
