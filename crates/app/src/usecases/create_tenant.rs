use crate::error::{AppError, AppResult};
use crate::ports::{AccessStore, Clock, NewTenant};
use crate::secrets::{hash_password, new_api_key};
use serde::Serialize;
use ventros_domain::event::{EventContext, EventEnvelope, EventType};
use ventros_domain::ids::{ApiKeyId, ProjectId, TenantId, UserId};
use ventros_domain::tenancy::{
    ApiKey, Project, Role, Scope, Tenant, User, validate_email, validate_name,
};

#[derive(Debug, Clone)]
pub struct CreateTenant {
    pub name: String,
    pub admin_email: String,
    /// The admin's display name; the email when `None`.
    pub admin_name: Option<String>,
    pub admin_password: String,
}

/// What the operator gets back, once: the API key is never shown again.
#[derive(Debug, Clone, Serialize)]
pub struct TenantCreated {
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub user_id: UserId,
    pub api_key: String,
}

/// Creates a tenant with a default project, an admin user and an admin API key.
pub async fn create_tenant(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    cmd: CreateTenant,
) -> AppResult<TenantCreated> {
    let now = clock.now();
    let name = validate_name("name", &cmd.name)?;
    let email = validate_email(&cmd.admin_email)?;
    let admin_name = match &cmd.admin_name {
        Some(n) => validate_name("admin_name", n)?,
        None => email.clone(),
    };
    let password_hash = hash_password(&cmd.admin_password)?;
    let tenant = Tenant {
        id: TenantId::new(),
        name: name.clone(),
        created_at: now,
    };
    let project = Project {
        id: ProjectId::new(),
        tenant_id: tenant.id,
        name: "Default".into(),
        created_at: now,
    };
    let admin = User {
        id: UserId::new(),
        tenant_id: tenant.id,
        email: email.clone(),
        name: admin_name,
        password_hash,
        role: Role::Admin,
        created_at: now,
        disabled_at: None,
    };
    let (key, prefix, key_hash) = new_api_key();
    let api_key = ApiKey {
        id: ApiKeyId::new(),
        tenant_id: tenant.id,
        project_id: project.id,
        name: "bootstrap".into(),
        prefix,
        key_hash,
        role: Role::Admin,
        created_at: now,
        revoked_at: None,
    };
    let scope = Scope {
        tenant_id: tenant.id,
        project_id: project.id,
    };
    let event = EventEnvelope::new(
        &EventContext {
            source: "cli".into(),
            ..Default::default()
        },
        scope.tenant_id,
        scope.project_id,
        EventType::TenantCreated,
        tenant.id.0,
        now,
        serde_json::json!({"tenant_id": tenant.id, "name": name, "project_id": project.id}),
    );
    let out = TenantCreated {
        tenant_id: tenant.id,
        project_id: project.id,
        user_id: admin.id,
        api_key: key,
    };
    store
        .create_tenant(&NewTenant {
            tenant,
            project,
            admin,
            api_key,
            event,
        })
        .await
        .map_err(|e| match e {
            // The admin's email is the only key a new tenant can share with another.
            AppError::Conflict { .. } => AppError::conflict(
                "email_taken",
                "a user with this email exists (emails are unique across tenants)",
            ),
            other => other,
        })?;
    Ok(out)
}
