//! Tenants, users, API keys, projects and agents.

use crate::dialect::{DbStore, cross_tenant};
use crate::sql::rows::{
    self, AGENT_COLS, API_KEY_COLS, API_KEY_PRINCIPAL_COLS, PROJECT_COLS, USER_COLS,
};
use crate::sql::{Query, Ts, by_id_in, db_err, page_by, paginate, select, select_in};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::{AccessStore, ApiKeyPrincipal, NewTenant};
use ventros_domain::agent::{Agent, AgentOwner};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{AgentId, ApiKeyId, ProjectId, TenantId, UserId};
use ventros_domain::tenancy::{ApiKey, Project, Scope, User};

const INSERT_USER: &str = "INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at, disabled_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const INSERT_API_KEY: &str = "INSERT INTO api_keys (id, tenant_id, project_id, name, prefix, key_hash, role, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
const INSERT_PROJECT: &str =
    "INSERT INTO projects (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)";

fn insert_user(u: &User) -> Query<'_> {
    sqlx::query(INSERT_USER)
        .bind(u.id.0)
        .bind(u.tenant_id.0)
        .bind(&u.email)
        .bind(&u.name)
        .bind(&u.password_hash)
        .bind(u.role.as_str())
        .bind(Ts(u.created_at))
        .bind(u.disabled_at.map(Ts))
}

fn insert_agent(a: &Agent) -> Query<'_> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO agents ({AGENT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(a.id.0)
    .bind(a.tenant_id.0)
    .bind(a.project_id.0)
    .bind(a.kind.as_str())
    .bind(&a.name)
    .bind(a.user_id.map(|u| u.0))
    .bind(a.api_key_id.map(|k| k.0))
    .bind(a.active)
    .bind(Ts(a.created_at))
    .bind(Ts(a.updated_at))
}

fn insert_api_key(k: &ApiKey) -> Query<'_> {
    sqlx::query(INSERT_API_KEY)
        .bind(k.id.0)
        .bind(k.tenant_id.0)
        .bind(k.project_id.0)
        .bind(&k.name)
        .bind(&k.prefix)
        .bind(&k.key_hash)
        .bind(k.role.as_str())
        .bind(Ts(k.created_at))
        .bind(k.revoked_at.map(Ts))
}

fn insert_project(p: &Project) -> Query<'_> {
    sqlx::query(INSERT_PROJECT)
        .bind(p.id.0)
        .bind(p.tenant_id.0)
        .bind(&p.name)
        .bind(Ts(p.created_at))
}

#[async_trait]
impl AccessStore for DbStore {
    async fn create_tenant(&self, t: &NewTenant) -> AppResult<()> {
        let mut tx = self.write(t.tenant.id).await?;
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(t.tenant.id.0)
            .bind(&t.tenant.name)
            .bind(Ts(t.tenant.created_at))
            .execute(tx.conn())
            .await
            .map_err(db_err)?;
        for q in [
            insert_project(&t.project),
            insert_user(&t.admin),
            insert_api_key(&t.api_key),
        ] {
            q.execute(tx.conn()).await.map_err(db_err)?;
        }
        tx.append(std::slice::from_ref(&t.event), t.tenant.created_at)
            .await?;
        tx.commit().await
    }

    async fn find_api_key(&self, key_hash: &str) -> AppResult<Option<ApiKeyPrincipal>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {API_KEY_PRINCIPAL_COLS} FROM {} AS k",
            cross_tenant::API_KEY
        )))
        .bind(key_hash)
        .fetch_optional(self.any_tenant_reads())
        .await
        .map_err(db_err)?
        .map(|r| rows::api_key_principal(&r))
        .transpose()
        .map_err(db_err)
    }

    async fn find_login(&self, email: &str) -> AppResult<Option<User>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {USER_COLS} FROM {} AS u",
            cross_tenant::LOGIN
        )))
        .bind(email)
        .fetch_optional(self.any_tenant_reads())
        .await
        .map_err(db_err)?
        .map(|r| rows::user(&r))
        .transpose()
        .map_err(db_err)
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> AppResult<Option<User>> {
        let mut q = select(USER_COLS, "users", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(tenant, q.build(), rows::user).await
    }

    async fn list_users(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<User>> {
        let mut q = select(USER_COLS, "users", tenant);
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(tenant, q.build(), rows::user).await?;
        Ok(page_by(v, page.limit, |u| (u.created_at, u.id.0)))
    }

    async fn insert_user(
        &self,
        u: &User,
        agent: Option<&Agent>,
        events: &[EventEnvelope],
    ) -> AppResult<()> {
        let mut tx = self.write(u.tenant_id).await?;
        insert_user(u).execute(tx.conn()).await.map_err(db_err)?;
        if let Some(a) = agent {
            insert_agent(a).execute(tx.conn()).await.map_err(db_err)?;
        }
        tx.append(events, u.created_at).await?;
        tx.commit().await
    }

    async fn disable_user(
        &self,
        tenant: TenantId,
        id: UserId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        if self.get_user(tenant, id).await?.is_none() {
            return Ok(false);
        }
        let q = sqlx::query("UPDATE users SET disabled_at = $1 WHERE tenant_id = $2 AND id = $3 AND disabled_at IS NULL")
            .bind(Ts(at))
            .bind(tenant.0)
            .bind(id.0);
        self.write_with_events(tenant, q, std::slice::from_ref(event), at)
            .await?;
        Ok(true)
    }

    async fn insert_api_key(&self, k: &ApiKey, event: &EventEnvelope) -> AppResult<()> {
        self.write_with_events(
            k.tenant_id,
            insert_api_key(k),
            std::slice::from_ref(event),
            k.created_at,
        )
        .await?;
        Ok(())
    }

    async fn list_api_keys(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<ApiKey>> {
        let mut q = select(API_KEY_COLS, "api_keys", tenant);
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(tenant, q.build(), rows::api_key).await?;
        Ok(page_by(v, page.limit, |k| (k.created_at, k.id.0)))
    }

    async fn get_api_key(&self, tenant: TenantId, id: ApiKeyId) -> AppResult<Option<ApiKey>> {
        let mut q = select(API_KEY_COLS, "api_keys", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(tenant, q.build(), rows::api_key).await
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE api_keys SET revoked_at = $1 WHERE tenant_id = $2 AND id = $3 AND revoked_at IS NULL")
            .bind(Ts(at))
            .bind(tenant.0)
            .bind(id.0);
        Ok(self
            .write_with_events(tenant, q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn insert_project(&self, p: &Project, event: &EventEnvelope) -> AppResult<()> {
        self.write_with_events(
            p.tenant_id,
            insert_project(p),
            std::slice::from_ref(event),
            p.created_at,
        )
        .await?;
        Ok(())
    }

    async fn list_projects(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<Project>> {
        let mut q = select(PROJECT_COLS, "projects", tenant);
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(tenant, q.build(), rows::project).await?;
        Ok(page_by(v, page.limit, |p| (p.created_at, p.id.0)))
    }

    async fn get_project(&self, tenant: TenantId, id: ProjectId) -> AppResult<Option<Project>> {
        let mut q = select(PROJECT_COLS, "projects", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(tenant, q.build(), rows::project).await
    }

    async fn default_project(&self, tenant: TenantId) -> AppResult<Option<Project>> {
        let mut q = select(PROJECT_COLS, "projects", tenant);
        q.push(" ORDER BY created_at, id LIMIT 1");
        self.one(tenant, q.build(), rows::project).await
    }

    async fn insert_agent(&self, a: &Agent, event: &EventEnvelope) -> AppResult<()> {
        self.write_with_events(
            a.tenant_id,
            insert_agent(a),
            std::slice::from_ref(event),
            a.created_at,
        )
        .await?;
        Ok(())
    }

    async fn update_agent(&self, a: &Agent, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(
            "UPDATE agents SET name = $1, active = $2, updated_at = $3 WHERE tenant_id = $4 AND id = $5",
        )
        .bind(&a.name)
        .bind(a.active)
        .bind(Ts(a.updated_at))
        .bind(a.tenant_id.0)
        .bind(a.id.0);
        self.write_with_events(a.tenant_id, q, std::slice::from_ref(event), a.updated_at)
            .await?;
        Ok(())
    }

    async fn get_agent(&self, scope: Scope, id: AgentId) -> AppResult<Option<Agent>> {
        let mut q = by_id_in(AGENT_COLS, "agents", scope, id.0);
        self.one(scope.tenant_id, q.build(), rows::agent).await
    }

    async fn find_agent(&self, scope: Scope, owner: AgentOwner) -> AppResult<Option<Agent>> {
        let mut q = select_in(AGENT_COLS, "agents", scope);
        match owner {
            AgentOwner::User(u) => q.push(" AND user_id = ").push_bind(u.0),
            AgentOwner::ApiKey(k) => q.push(" AND api_key_id = ").push_bind(k.0),
            AgentOwner::System => q.push(" AND kind = 'system'"),
        };
        q.push(" ORDER BY created_at, id LIMIT 1");
        self.one(scope.tenant_id, q.build(), rows::agent).await
    }

    async fn list_agents(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Agent>> {
        let mut q = select_in(AGENT_COLS, "agents", scope);
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::agent).await?;
        Ok(page_by(v, page.limit, |a| (a.created_at, a.id.0)))
    }
}
