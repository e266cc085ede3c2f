//! Where Ventros keeps files: what customers send (WAHA deletes its copy after ~180 s),
//! uploads to send, profile pictures. Keys start with the tenant id and are only ever built
//! by use cases from a row read in the tenant's scope, so one tenant cannot name another's
//! file.

use crate::error::AppResult;
use async_trait::async_trait;
use std::ops::Range;

/// Part (or all) of a stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaBytes {
    pub bytes: Vec<u8>,
    /// The whole file's size.
    pub total: u64,
}

#[async_trait]
pub trait MediaStore: Send + Sync {
    /// Stores (or replaces) the file at `key`.
    async fn put(&self, key: &str, bytes: Vec<u8>) -> AppResult<()>;
    /// The bytes in `range` (the whole file when `None`), or `None` when there is no such
    /// file. A range past the end is cut at the end.
    async fn get(&self, key: &str, range: Option<Range<u64>>) -> AppResult<Option<MediaBytes>>;
    /// Removes the file; removing a missing file is not an error.
    async fn delete(&self, key: &str) -> AppResult<()>;
}

/// The key of a media file of a tenant.
pub fn media_key(tenant: ventros_domain::ids::TenantId, file: uuid::Uuid) -> String {
    format!("{tenant}/media/{file}")
}
