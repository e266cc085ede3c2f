//! Media file rows: what the media store holds for a tenant, and where each file stands.

use crate::error::AppResult;
use async_trait::async_trait;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{MediaFileId, TenantId};
use ventros_domain::media::MediaFile;

#[async_trait]
pub trait MediaFileStore: Send + Sync {
    async fn insert_media_file(&self, f: &MediaFile, events: &[EventEnvelope]) -> AppResult<()>;
    async fn get_media_file(
        &self,
        tenant: TenantId,
        id: MediaFileId,
    ) -> AppResult<Option<MediaFile>>;
    /// Writes the file's status, details and `updated_at`, with the events.
    async fn update_media_file(&self, f: &MediaFile, events: &[EventEnvelope]) -> AppResult<()>;
}
