use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::agent::Agent;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{AgentId, ApiKeyId, ProjectId, TenantId, UserId};
use ventros_domain::tenancy::{ApiKey, Project, Role, Scope, Tenant, User};

/// A new tenant with its first project, admin and API key, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub tenant: Tenant,
    pub project: Project,
    pub admin: User,
    pub api_key: ApiKey,
    pub event: EventEnvelope,
}

/// Who an API key speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyPrincipal {
    pub scope: Scope,
    pub role: Role,
    pub key_id: ApiKeyId,
}

/// Tenants, users, API keys, projects and agents: who may act, and as whom.
#[async_trait]
pub trait AccessStore: Send + Sync {
    async fn create_tenant(&self, t: &NewTenant) -> AppResult<()>;
    /// Looks up an unrevoked API key by hash, across tenants.
    async fn find_api_key(&self, key_hash: &str) -> AppResult<Option<ApiKeyPrincipal>>;
    /// The user with this email in any tenant (emails are unique across tenants).
    async fn find_login(&self, email: &str) -> AppResult<Option<User>>;
    async fn get_user(&self, tenant: TenantId, id: UserId) -> AppResult<Option<User>>;
    async fn list_users(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<User>>;
    /// Inserts a user with, when given, the human agent that stands for it, and the events,
    /// in one transaction.
    async fn insert_user(
        &self,
        u: &User,
        agent: Option<&Agent>,
        events: &[EventEnvelope],
    ) -> AppResult<()>;
    /// Sets `disabled_at` unless already set; `false` when the user does not exist.
    async fn disable_user(
        &self,
        tenant: TenantId,
        id: UserId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;

    async fn insert_api_key(&self, k: &ApiKey, event: &EventEnvelope) -> AppResult<()>;
    async fn list_api_keys(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<ApiKey>>;
    async fn get_api_key(&self, tenant: TenantId, id: ApiKeyId) -> AppResult<Option<ApiKey>>;
    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;

    async fn insert_project(&self, p: &Project, event: &EventEnvelope) -> AppResult<()>;
    async fn list_projects(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<Project>>;
    async fn get_project(&self, tenant: TenantId, id: ProjectId) -> AppResult<Option<Project>>;
    /// The tenant's first project, where logins start.
    async fn default_project(&self, tenant: TenantId) -> AppResult<Option<Project>>;

    async fn insert_agent(&self, a: &Agent, event: &EventEnvelope) -> AppResult<()>;
    async fn update_agent(&self, a: &Agent, event: &EventEnvelope) -> AppResult<()>;
    async fn get_agent(&self, scope: Scope, id: AgentId) -> AppResult<Option<Agent>>;
    async fn list_agents(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Agent>>;
    /// The agent that stands for this user, API key or Ventros itself in the project.
    async fn find_agent(
        &self,
        scope: Scope,
        owner: ventros_domain::agent::AgentOwner,
    ) -> AppResult<Option<Agent>>;
}
