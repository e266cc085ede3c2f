//! Media file rows: what the media store holds for a tenant, and where each file stands.

use crate::error::AppResult;
use async_trait::async_trait;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{MediaFileId, TenantId};
use ventros_domain::media::{ContactPicture, MediaFile};

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
    async fn get_contact_picture(
        &self,
        tenant: TenantId,
        contact: ventros_domain::ids::ContactId,
    ) -> AppResult<Option<ContactPicture>>;
    /// Records what WAHA said of a contact's picture: with `new_file`, the copy it now is
    /// (inserted with the picture), and the events, in one transaction.
    async fn save_contact_picture(
        &self,
        p: &ContactPicture,
        new_file: Option<&MediaFile>,
        events: &[EventEnvelope],
    ) -> AppResult<()>;
}
