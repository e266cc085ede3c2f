use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::agent::Agent;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{AgentId, ApiKeyId, ProjectId, TenantId, UserId};
use ventros_domain::tenancy::{ApiKey, Project, Scope, User};

/// What a stored idempotency key says about a new request carrying it.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyClaim {
    /// First use: the caller runs the request and then records the response.
    Claimed,
    /// Seen with the same request: this is the response to send again.
    Replay { status: u16, body: Vec<u8> },
    /// Seen with a different request.
    Mismatch,
    /// The first request with this key is still running.
    InProgress,
}

/// Users, API keys, projects, agents and idempotency keys.
#[async_trait]
pub trait AccessStore: Send + Sync {
    /// The user with this email in any tenant (emails are unique across tenants).
    async fn find_login(&self, email: &str) -> AppResult<Option<User>>;
    async fn get_user(&self, tenant: TenantId, id: UserId) -> AppResult<Option<User>>;
    async fn list_users(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<User>>;
    async fn insert_user(&self, u: &User, event: &EventEnvelope) -> AppResult<()>;
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

    /// Claims `key` for `actor`, or says what an earlier request with it got. A claim older
    /// than `stale_before` that never finished is taken over (its request died).
    async fn claim_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> AppResult<IdempotencyClaim>;
    /// Stores the response of a claimed key.
    async fn finish_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> AppResult<()>;
    /// Drops a claim whose request failed on the server, so that a retry runs again.
    async fn release_idempotency(&self, tenant: TenantId, actor: &str, key: &str) -> AppResult<()>;
    /// Deletes keys created before `before`; returns how many.
    async fn prune_idempotency(&self, before: DateTime<Utc>) -> AppResult<u64>;
}
