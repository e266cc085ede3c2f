//! Ventros' own files through the API: a message's media (as the download job stored it),
//! a file's status, uploads to send.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{Clock, ConversationStore, MediaBytes, MediaFileStore, MediaStore, media_key};
use crate::usecases::media_download::sha256_hex;
use serde_json::json;
use std::ops::Range;
use ventros_domain::event::EventType;
use ventros_domain::ids::{MediaFileId, MessageId};
use ventros_domain::media::{MediaFile, MediaOrigin, MediaStatus, safe_filename};
use ventros_domain::rbac::Permission;

/// A file of this project, by id.
pub async fn get_media_file(
    store: &(impl MediaFileStore + ?Sized),
    actor: &Actor,
    id: MediaFileId,
) -> AppResult<MediaFile> {
    actor.require(Permission::MessagesRead)?;
    store
        .get_media_file(actor.scope.tenant_id, id)
        .await?
        .filter(|f| f.project_id == actor.scope.project_id)
        .ok_or(AppError::NotFound("media file"))
}

/// A message's stored media: its row, to answer a range against.
pub async fn message_media_file<S>(store: &S, actor: &Actor, id: MessageId) -> AppResult<MediaFile>
where
    S: ConversationStore + MediaFileStore + ?Sized,
{
    actor.require(Permission::MessagesRead)?;
    let m = store
        .get_message(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("message"))?;
    let file = m
        .media
        .and_then(|md| md.file_id)
        .ok_or(AppError::NotFound("media of this message"))?;
    let f = store
        .get_media_file(actor.scope.tenant_id, file)
        .await?
        .ok_or(AppError::NotFound("media of this message"))?;
    if f.status != MediaStatus::Stored {
        return Err(AppError::conflict(
            "media_not_stored",
            format!(
                "the media is {}{}",
                f.status.as_str(),
                f.error
                    .as_deref()
                    .map(|e| format!(": {e}"))
                    .unwrap_or_default()
            ),
        ));
    }
    Ok(f)
}

/// The bytes of a stored file (a range of them).
pub async fn read_media(
    media: &dyn MediaStore,
    f: &MediaFile,
    range: Option<Range<u64>>,
) -> AppResult<MediaBytes> {
    media
        .get(&media_key(f.tenant_id, f.id.0), range)
        .await?
        .ok_or_else(|| AppError::internal(format!("media file {} is missing from the store", f.id)))
}

/// An upload to send (`media_id`).
pub struct Upload {
    pub bytes: Vec<u8>,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
}

pub async fn upload<S>(
    store: &S,
    media: &dyn MediaStore,
    clock: &dyn Clock,
    actor: &Actor,
    u: Upload,
) -> AppResult<MediaFile>
where
    S: MediaFileStore + ?Sized,
{
    actor.require(Permission::MessagesSend)?;
    if u.bytes.is_empty() {
        return Err(AppError::validation("file", "must not be empty"));
    }
    let mimetype = match u.mimetype.map(|m| m.trim().to_ascii_lowercase()) {
        Some(m) if m.contains('/') && m.len() <= 100 && !m.contains(char::is_control) => m,
        Some(_) => {
            return Err(AppError::validation(
                "file",
                "its content type is not a MIME type",
            ));
        }
        None => "application/octet-stream".into(),
    };
    let now = clock.now();
    let f = MediaFile {
        id: MediaFileId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        origin: MediaOrigin::Upload,
        message_id: None,
        status: MediaStatus::Stored,
        mimetype: Some(mimetype),
        filename: u.filename.as_deref().map(safe_filename),
        size: Some(i64::try_from(u.bytes.len()).unwrap_or(i64::MAX)),
        sha256: Some(sha256_hex(&u.bytes)),
        error: None,
        source_url: None,
        created_at: now,
        updated_at: now,
        stored_at: Some(now),
    };
    // The bytes first: a row never names a file that is not there.
    media.put(&media_key(f.tenant_id, f.id.0), u.bytes).await?;
    let event = actor.event(
        EventType::MediaUploaded,
        f.id.0,
        now,
        json!({"file_id": f.id, "mimetype": f.mimetype, "filename": f.filename, "size": f.size, "sha256": f.sha256}),
    );
    store.insert_media_file(&f, &[event]).await?;
    Ok(f)
}
