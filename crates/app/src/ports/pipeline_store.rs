use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::PipelineId;
use ventros_domain::pipeline::Pipeline;
use ventros_domain::tenancy::Scope;

/// Pipelines of a project.
#[async_trait]
pub trait PipelineStore: Send + Sync {
    /// Inserts the pipeline and its event in one transaction.
    async fn insert_pipeline(&self, p: &Pipeline, event: &EventEnvelope) -> AppResult<()>;
    /// Writes name and override and the event in one transaction.
    async fn update_pipeline(&self, p: &Pipeline, event: &EventEnvelope) -> AppResult<()>;
    async fn get_pipeline(&self, scope: Scope, id: PipelineId) -> AppResult<Option<Pipeline>>;
    /// Oldest first.
    async fn list_pipelines(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Pipeline>>;
}
