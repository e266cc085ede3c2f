//! Who is calling: scope, role and identity, and the permission check every use case makes.

use crate::error::{AppError, AppResult};
use ventros_domain::event::EventContext;
use ventros_domain::ids::{ApiKeyId, UserId};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::{Role, Scope};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    User(UserId),
    ApiKey(ApiKeyId),
    /// Ventros itself (CLI, benchmarks), acting as an admin.
    System,
}

#[derive(Debug, Clone)]
pub struct Actor {
    pub scope: Scope,
    pub role: Role,
    pub credential: Credential,
    /// Source and correlation id for the events this caller causes.
    pub ctx: EventContext,
}

impl Actor {
    /// Ventros acting on its own behalf in `scope` (CLI commands, benchmarks).
    pub fn system(scope: Scope, source: &str) -> Actor {
        Actor {
            scope,
            role: Role::Admin,
            credential: Credential::System,
            ctx: EventContext {
                source: source.into(),
                ..Default::default()
            },
        }
    }

    pub fn require(&self, p: Permission) -> AppResult<()> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden(p.as_str()))
        }
    }

    /// `user:<id>` or `api_key:<id>`: stable, for notes, rate limits and idempotency keys.
    pub fn id(&self) -> String {
        match self.credential {
            Credential::User(u) => format!("user:{u}"),
            Credential::ApiKey(k) => format!("api_key:{k}"),
            Credential::System => "system".into(),
        }
    }
}

impl Actor {
    /// An event caused by this caller, in its tenant and project.
    pub fn event(
        &self,
        ty: ventros_domain::event::EventType,
        aggregate: uuid::Uuid,
        at: chrono::DateTime<chrono::Utc>,
        payload: serde_json::Value,
    ) -> ventros_domain::event::EventEnvelope {
        ventros_domain::event::EventEnvelope::new(
            &self.ctx,
            self.scope.tenant_id,
            self.scope.project_id,
            ty,
            aggregate,
            at,
            payload,
        )
    }
}
