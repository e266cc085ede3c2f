//! Users, API keys, projects, agents and idempotency keys on SQLite.

use crate::rows::{self, AGENT_COLS, API_KEY_COLS, PROJECT_COLS, USER_COLS, ms, ts};
use crate::store::{insert_events, paginate};
use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite};
use ventros_app::error::AppResult;
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::{AccessStore, IdempotencyClaim};
use ventros_domain::agent::Agent;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{AgentId, ApiKeyId, ProjectId, TenantId, UserId};
use ventros_domain::tenancy::{ApiKey, Project, Scope, User};

pub(crate) fn by_created<T>(
    rows: Vec<T>,
    limit: u32,
    f: impl Fn(&T) -> (DateTime<Utc>, uuid::Uuid),
) -> Page<T> {
    Page::from_rows(rows, limit, |r| {
        let (at, id) = f(r);
        Cursor {
            ts_us: at.timestamp_micros(),
            id,
        }
    })
}

impl SqliteStore {
    /// Runs one write statement and the events in a transaction; returns rows affected.
    pub(crate) async fn write_with_events(
        &self,
        q: sqlx::query::Query<'_, Sqlite, sqlx::sqlite::SqliteArguments>,
        events: &[EventEnvelope],
        now: DateTime<Utc>,
    ) -> AppResult<u64> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
        if n > 0 {
            insert_events(&mut *tx, events, now).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n)
    }

    pub(crate) async fn one<T>(
        &self,
        q: QueryBuilder<Sqlite>,
        map: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<T, sqlx::Error>,
    ) -> AppResult<Option<T>> {
        Ok(self.fetch(q, map).await?.into_iter().next())
    }
}

pub(crate) fn select(cols: &str, table: &str, tenant: TenantId) -> QueryBuilder<Sqlite> {
    let mut q = QueryBuilder::new(format!("SELECT {cols} FROM {table} WHERE tenant_id = "));
    q.push_bind(tenant.0);
    q
}

#[async_trait]
impl AccessStore for SqliteStore {
    async fn find_login(&self, email: &str) -> AppResult<Option<User>> {
        let mut q = QueryBuilder::new(format!("SELECT {USER_COLS} FROM users WHERE email = "));
        q.push_bind(email.to_string());
        self.one(q, rows::user).await
    }

    async fn get_user(&self, tenant: TenantId, id: UserId) -> AppResult<Option<User>> {
        let mut q = select(USER_COLS, "users", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(q, rows::user).await
    }

    async fn list_users(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<User>> {
        let mut q = select(USER_COLS, "users", tenant);
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::user).await?;
        Ok(by_created(v, page.limit, |u| (u.created_at, u.id.0)))
    }

    async fn insert_user(&self, u: &User, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO users ({USER_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )))
        .bind(u.id.0)
        .bind(u.tenant_id.0)
        .bind(&u.email)
        .bind(&u.name)
        .bind(&u.password_hash)
        .bind(u.role.as_str())
        .bind(ms(u.created_at))
        .bind(u.disabled_at.map(ms));
        self.write_with_events(q, std::slice::from_ref(event), u.created_at)
            .await?;
        Ok(())
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
        let q = sqlx::query("UPDATE users SET disabled_at = ? WHERE tenant_id = ? AND id = ? AND disabled_at IS NULL")
            .bind(ms(at))
            .bind(tenant.0)
            .bind(id.0);
        self.write_with_events(q, std::slice::from_ref(event), at)
            .await?;
        Ok(true)
    }

    async fn insert_api_key(&self, k: &ApiKey, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO api_keys ({API_KEY_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )))
        .bind(k.id.0)
        .bind(k.tenant_id.0)
        .bind(k.project_id.0)
        .bind(&k.name)
        .bind(&k.prefix)
        .bind(&k.key_hash)
        .bind(k.role.as_str())
        .bind(ms(k.created_at))
        .bind(k.revoked_at.map(ms));
        self.write_with_events(q, std::slice::from_ref(event), k.created_at)
            .await?;
        Ok(())
    }

    async fn list_api_keys(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<ApiKey>> {
        let mut q = select(API_KEY_COLS, "api_keys", tenant);
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::api_key).await?;
        Ok(by_created(v, page.limit, |k| (k.created_at, k.id.0)))
    }

    async fn get_api_key(&self, tenant: TenantId, id: ApiKeyId) -> AppResult<Option<ApiKey>> {
        let mut q = select(API_KEY_COLS, "api_keys", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(q, rows::api_key).await
    }

    async fn revoke_api_key(
        &self,
        tenant: TenantId,
        id: ApiKeyId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE api_keys SET revoked_at = ? WHERE tenant_id = ? AND id = ? AND revoked_at IS NULL")
            .bind(ms(at))
            .bind(tenant.0)
            .bind(id.0);
        Ok(self
            .write_with_events(q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn insert_project(&self, p: &Project, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO projects ({PROJECT_COLS}) VALUES (?, ?, ?, ?)"
        )))
        .bind(p.id.0)
        .bind(p.tenant_id.0)
        .bind(&p.name)
        .bind(ms(p.created_at));
        self.write_with_events(q, std::slice::from_ref(event), p.created_at)
            .await?;
        Ok(())
    }

    async fn list_projects(&self, tenant: TenantId, page: PageRequest) -> AppResult<Page<Project>> {
        let mut q = select(PROJECT_COLS, "projects", tenant);
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::project).await?;
        Ok(by_created(v, page.limit, |p| (p.created_at, p.id.0)))
    }

    async fn get_project(&self, tenant: TenantId, id: ProjectId) -> AppResult<Option<Project>> {
        let mut q = select(PROJECT_COLS, "projects", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(q, rows::project).await
    }

    async fn default_project(&self, tenant: TenantId) -> AppResult<Option<Project>> {
        let mut q = select(PROJECT_COLS, "projects", tenant);
        q.push(" ORDER BY created_at, id LIMIT 1");
        self.one(q, rows::project).await
    }

    async fn insert_agent(&self, a: &Agent, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO agents ({AGENT_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )))
        .bind(a.id.0)
        .bind(a.tenant_id.0)
        .bind(a.project_id.0)
        .bind(a.kind.as_str())
        .bind(&a.name)
        .bind(a.user_id.map(|u| u.0))
        .bind(a.active)
        .bind(ms(a.created_at))
        .bind(ms(a.updated_at));
        self.write_with_events(q, std::slice::from_ref(event), a.created_at)
            .await?;
        Ok(())
    }

    async fn update_agent(&self, a: &Agent, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(
            "UPDATE agents SET name = ?, active = ?, updated_at = ? WHERE tenant_id = ? AND id = ?",
        )
        .bind(&a.name)
        .bind(a.active)
        .bind(ms(a.updated_at))
        .bind(a.tenant_id.0)
        .bind(a.id.0);
        self.write_with_events(q, std::slice::from_ref(event), a.updated_at)
            .await?;
        Ok(())
    }

    async fn get_agent(&self, scope: Scope, id: AgentId) -> AppResult<Option<Agent>> {
        let mut q = select(AGENT_COLS, "agents", scope.tenant_id);
        q.push(" AND project_id = ")
            .push_bind(scope.project_id.0)
            .push(" AND id = ")
            .push_bind(id.0);
        self.one(q, rows::agent).await
    }

    async fn list_agents(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Agent>> {
        let mut q = select(AGENT_COLS, "agents", scope.tenant_id);
        q.push(" AND project_id = ").push_bind(scope.project_id.0);
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::agent).await?;
        Ok(by_created(v, page.limit, |a| (a.created_at, a.id.0)))
    }

    async fn claim_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        request_hash: &str,
        now: DateTime<Utc>,
        stale_before: DateTime<Utc>,
    ) -> AppResult<IdempotencyClaim> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let row = sqlx::query("SELECT request_hash, status, response, created_at FROM idempotency_keys WHERE tenant_id = ? AND actor = ? AND key = ?")
            .bind(tenant.0)
            .bind(actor)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
        let claim = match row {
            None => {
                sqlx::query("INSERT INTO idempotency_keys (tenant_id, actor, key, request_hash, created_at) VALUES (?, ?, ?, ?, ?)")
                    .bind(tenant.0)
                    .bind(actor)
                    .bind(key)
                    .bind(request_hash)
                    .bind(ms(now))
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?;
                IdempotencyClaim::Claimed
            }
            Some(r) => {
                let hash: String = r.try_get("request_hash").map_err(db_err)?;
                let status: Option<i64> = r.try_get("status").map_err(db_err)?;
                let created = ts(r.try_get("created_at").map_err(db_err)?);
                match status {
                    Some(st) if hash == request_hash => IdempotencyClaim::Replay {
                        status: u16::try_from(st).unwrap_or(500),
                        body: r
                            .try_get::<Option<Vec<u8>>, _>("response")
                            .map_err(db_err)?
                            .unwrap_or_default(),
                    },
                    None if created < stale_before => {
                        sqlx::query("UPDATE idempotency_keys SET request_hash = ?, created_at = ? WHERE tenant_id = ? AND actor = ? AND key = ?")
                            .bind(request_hash)
                            .bind(ms(now))
                            .bind(tenant.0)
                            .bind(actor)
                            .bind(key)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?;
                        IdempotencyClaim::Claimed
                    }
                    _ if hash != request_hash => IdempotencyClaim::Mismatch,
                    _ => IdempotencyClaim::InProgress,
                }
            }
        };
        tx.commit().await.map_err(db_err)?;
        Ok(claim)
    }

    async fn finish_idempotency(
        &self,
        tenant: TenantId,
        actor: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> AppResult<()> {
        sqlx::query("UPDATE idempotency_keys SET status = ?, response = ? WHERE tenant_id = ? AND actor = ? AND key = ?")
            .bind(i64::from(status))
            .bind(body)
            .bind(tenant.0)
            .bind(actor)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn release_idempotency(&self, tenant: TenantId, actor: &str, key: &str) -> AppResult<()> {
        sqlx::query("DELETE FROM idempotency_keys WHERE tenant_id = ? AND actor = ? AND key = ? AND status IS NULL")
            .bind(tenant.0)
            .bind(actor)
            .bind(key)
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn prune_idempotency(&self, before: DateTime<Utc>) -> AppResult<u64> {
        Ok(
            sqlx::query("DELETE FROM idempotency_keys WHERE created_at < ?")
                .bind(ms(before))
                .execute(&self.write)
                .await
                .map_err(db_err)?
                .rows_affected(),
        )
    }
}
