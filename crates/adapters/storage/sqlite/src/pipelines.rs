//! Pipelines on SQLite.

use crate::SqliteStore;
use crate::access::{by_created, select};
use crate::rows::{self, PIPELINE_COLS, ms};
use crate::store::paginate;
use async_trait::async_trait;
use sqlx::AssertSqlSafe;
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::PipelineStore;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::PipelineId;
use ventros_domain::pipeline::Pipeline;
use ventros_domain::tenancy::Scope;

#[async_trait]
impl PipelineStore for SqliteStore {
    async fn insert_pipeline(&self, p: &Pipeline, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO pipelines ({PIPELINE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?)"
        )))
        .bind(p.id.0)
        .bind(p.tenant_id.0)
        .bind(p.project_id.0)
        .bind(&p.name)
        .bind(p.session_timeout_seconds)
        .bind(ms(p.created_at))
        .bind(ms(p.updated_at));
        self.write_with_events(q, std::slice::from_ref(event), p.created_at)
            .await?;
        Ok(())
    }

    async fn update_pipeline(&self, p: &Pipeline, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(
            "UPDATE pipelines SET name = ?, session_timeout_seconds = ?, updated_at = ? WHERE tenant_id = ? AND project_id = ? AND id = ?",
        )
        .bind(&p.name)
        .bind(p.session_timeout_seconds)
        .bind(ms(p.updated_at))
        .bind(p.tenant_id.0)
        .bind(p.project_id.0)
        .bind(p.id.0);
        self.write_with_events(q, std::slice::from_ref(event), p.updated_at)
            .await?;
        Ok(())
    }

    async fn get_pipeline(&self, scope: Scope, id: PipelineId) -> AppResult<Option<Pipeline>> {
        let mut q = select(PIPELINE_COLS, "pipelines", scope.tenant_id);
        q.push(" AND project_id = ")
            .push_bind(scope.project_id.0)
            .push(" AND id = ")
            .push_bind(id.0);
        self.one(q, rows::pipeline).await
    }

    async fn list_pipelines(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Pipeline>> {
        let mut q = select(PIPELINE_COLS, "pipelines", scope.tenant_id);
        q.push(" AND project_id = ").push_bind(scope.project_id.0);
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::pipeline).await?;
        Ok(by_created(v, page.limit, |p| (p.created_at, p.id.0)))
    }
}
