//! Users of a tenant: created and disabled by admins.

use crate::actor::{Actor, Credential};
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{AccessStore, Clock, Passwords};
use crate::usecases::agents::payload as agent_payload;
use serde_json::json;
use ventros_domain::agent::{Agent, AgentKind};
use ventros_domain::event::EventType;
use ventros_domain::ids::{AgentId, UserId};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::{Role, User, validate_email, validate_name};

#[derive(Debug, Clone)]
pub struct CreateUser {
    pub email: String,
    pub password: String,
    pub name: String,
    pub role: Role,
}

pub async fn create_user(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    passwords: &dyn Passwords,
    actor: &Actor,
    cmd: CreateUser,
) -> AppResult<User> {
    actor.require(Permission::UsersManage)?;
    let now = clock.now();
    let email = validate_email(&cmd.email)?;
    let name = validate_name("name", &cmd.name)?;
    let user = User {
        id: UserId::new(),
        tenant_id: actor.scope.tenant_id,
        email,
        name,
        password_hash: passwords.hash(&cmd.password).await?,
        role: cmd.role,
        created_at: now,
        disabled_at: None,
    };
    let event = actor.event(
        EventType::UserCreated,
        user.id.0,
        now,
        json!({"user_id": user.id, "role": user.role}),
    );
    // Agents and supervisors answer customers: their human agent exists from the start, so
    // sessions can be assigned to them at once.
    let agent = matches!(user.role, Role::Agent | Role::Supervisor).then(|| Agent {
        id: AgentId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        kind: AgentKind::Human,
        name: user.name.clone(),
        user_id: Some(user.id),
        api_key_id: None,
        active: true,
        created_at: now,
        updated_at: now,
    });
    let mut events = vec![event];
    if let Some(a) = &agent {
        events.push(actor.event(EventType::AgentCreated, a.id.0, now, agent_payload(a)));
    }
    store
        .insert_user(&user, agent.as_ref(), &events)
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => {
                AppError::conflict("email_taken", "a user with this email exists")
            }
            other => other,
        })?;
    Ok(user)
}

pub async fn list_users(
    store: &dyn AccessStore,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<User>> {
    actor.require(Permission::UsersManage)?;
    store.list_users(actor.scope.tenant_id, page).await
}

pub async fn get_user(store: &dyn AccessStore, actor: &Actor, id: UserId) -> AppResult<User> {
    let own = actor.credential == Credential::User(id);
    if !own {
        actor.require(Permission::UsersManage)?;
    }
    store
        .get_user(actor.scope.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("user"))
}

/// Disables a user: logins and existing tokens stop working at once.
pub async fn disable_user(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: UserId,
) -> AppResult<User> {
    actor.require(Permission::UsersManage)?;
    if actor.credential == Credential::User(id) {
        return Err(AppError::Unprocessable {
            code: "cannot_disable_self",
            message: "you cannot disable your own user".into(),
        });
    }
    let now = clock.now();
    let event = actor.event(EventType::UserDisabled, id.0, now, json!({"user_id": id}));
    if !store
        .disable_user(actor.scope.tenant_id, id, now, &event)
        .await?
    {
        return Err(AppError::NotFound("user"));
    }
    get_user(store, actor, id).await
}
