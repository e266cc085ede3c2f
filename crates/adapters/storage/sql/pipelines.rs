//! Pipelines of a project.

use crate::dialect::DbStore;
use crate::sql::rows::{self, PIPELINE_COLS};
use crate::sql::{Ts, by_id_in, page_by, paginate, select_in};
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
impl PipelineStore for DbStore {
    async fn insert_pipeline(&self, p: &Pipeline, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO pipelines ({PIPELINE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )))
        .bind(p.id.0)
        .bind(p.tenant_id.0)
        .bind(p.project_id.0)
        .bind(&p.name)
        .bind(p.session_timeout_seconds)
        .bind(Ts(p.created_at))
        .bind(Ts(p.updated_at));
        self.write_with_events(p.tenant_id, q, std::slice::from_ref(event), p.created_at)
            .await?;
        Ok(())
    }

    async fn update_pipeline(&self, p: &Pipeline, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(
            "UPDATE pipelines SET name = $1, session_timeout_seconds = $2, updated_at = $3 WHERE tenant_id = $4 AND project_id = $5 AND id = $6",
        )
        .bind(&p.name)
        .bind(p.session_timeout_seconds)
        .bind(Ts(p.updated_at))
        .bind(p.tenant_id.0)
        .bind(p.project_id.0)
        .bind(p.id.0);
        self.write_with_events(p.tenant_id, q, std::slice::from_ref(event), p.updated_at)
            .await?;
        Ok(())
    }

    async fn get_pipeline(&self, scope: Scope, id: PipelineId) -> AppResult<Option<Pipeline>> {
        let mut q = by_id_in(PIPELINE_COLS, "pipelines", scope, id.0);
        self.one(scope.tenant_id, q.build(), rows::pipeline).await
    }

    async fn list_pipelines(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Pipeline>> {
        let mut q = select_in(PIPELINE_COLS, "pipelines", scope);
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::pipeline).await?;
        Ok(page_by(v, page.limit, |p| (p.created_at, p.id.0)))
    }
}
