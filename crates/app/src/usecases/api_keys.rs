//! API keys: created (the key is shown once), listed by prefix, revoked.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{AccessStore, Clock};
use crate::secrets::new_api_key;
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::ids::{ApiKeyId, ProjectId, TenantId};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::{ApiKey, Role, validate_name};

/// A created key and, once, its secret.
#[derive(Debug, Clone)]
pub struct CreatedApiKey {
    pub key: ApiKey,
    pub secret: String,
}

pub async fn create_api_key(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    actor: &Actor,
    name: &str,
    role: Role,
) -> AppResult<CreatedApiKey> {
    actor.require(Permission::ApiKeysManage)?;
    let now = clock.now();
    let (secret, prefix, key_hash) = new_api_key();
    let key = ApiKey {
        id: ApiKeyId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        name: validate_name("name", name)?,
        prefix,
        key_hash,
        role,
        created_at: now,
        revoked_at: None,
    };
    let event = actor.event(
        EventType::ApiKeyCreated,
        key.id.0,
        now,
        json!({"api_key_id": key.id, "prefix": key.prefix, "role": key.role}),
    );
    store.insert_api_key(&key, &event).await?;
    Ok(CreatedApiKey { key, secret })
}

pub async fn list_api_keys(
    store: &dyn AccessStore,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<ApiKey>> {
    actor.require(Permission::ApiKeysManage)?;
    store.list_api_keys(actor.scope.tenant_id, page).await
}

/// Revokes a key; the next request with it is refused. Revoking twice is not an error.
pub async fn revoke_api_key(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: ApiKeyId,
) -> AppResult<()> {
    actor.require(Permission::ApiKeysManage)?;
    let existing = store
        .get_api_key(actor.scope.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound("api key"))?;
    if existing.revoked_at.is_some() {
        return Ok(());
    }
    let now = clock.now();
    let event = actor.event(
        EventType::ApiKeyRevoked,
        id.0,
        now,
        json!({"api_key_id": id, "prefix": existing.prefix}),
    );
    store
        .revoke_api_key(actor.scope.tenant_id, id, now, &event)
        .await?;
    Ok(())
}

/// A key for `tenant` made by the operator (`ventros api-key create`): the way back in when
/// every admin key is lost. It works in `project` (default: the tenant's first project).
pub async fn create_operator_key(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    tenant: TenantId,
    project: Option<ProjectId>,
    name: &str,
    role: Role,
) -> AppResult<CreatedApiKey> {
    let project = match project {
        Some(p) => store.get_project(tenant, p).await?,
        None => store.default_project(tenant).await?,
    }
    .ok_or(AppError::NotFound("tenant or project"))?;
    let actor = Actor::system(
        ventros_domain::tenancy::Scope {
            tenant_id: tenant,
            project_id: project.id,
        },
        "cli",
    );
    create_api_key(store, clock, &actor, name, role).await
}
