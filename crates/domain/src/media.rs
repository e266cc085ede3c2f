//! Files Ventros keeps in its own media store: what customers send (downloaded from WAHA,
//! which deletes its copy after ~180 s), uploads to send, profile pictures.

use crate::DomainError;
use crate::ids::{MediaFileId, MessageId, ProjectId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Downloads a message's media from WAHA into the media store.
pub const MEDIA_DOWNLOAD_JOB: &str = "media.download";

/// The default largest file kept (`VENTROS_MEDIA_MAX_BYTES`).
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaOrigin {
    /// Uploaded through `POST /v1/media`, to send.
    Upload,
    /// A message's media, downloaded from WAHA.
    Message,
    ProfilePicture,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MediaStatus {
    /// Not downloaded yet.
    Pending,
    /// In the media store: `size`, `sha256` and `mimetype` are set.
    Stored,
    /// WAHA could not give it (its `media.error`, no URL, or a download that kept failing).
    Failed,
    /// WAHA no longer had it (its files last ~180 s) and asking again did not help.
    Expired,
    /// Larger than `VENTROS_MEDIA_MAX_BYTES`: not kept.
    TooLarge,
}

impl MediaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaStatus::Pending => "pending",
            MediaStatus::Stored => "stored",
            MediaStatus::Failed => "failed",
            MediaStatus::Expired => "expired",
            MediaStatus::TooLarge => "too_large",
        }
    }

    pub fn parse(s: &str) -> Result<MediaStatus, DomainError> {
        [
            MediaStatus::Pending,
            MediaStatus::Stored,
            MediaStatus::Failed,
            MediaStatus::Expired,
            MediaStatus::TooLarge,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
        .ok_or_else(|| DomainError::invalid("status", format!("unknown media status {s:?}")))
    }
}

impl MediaOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaOrigin::Upload => "upload",
            MediaOrigin::Message => "message",
            MediaOrigin::ProfilePicture => "profile_picture",
        }
    }

    pub fn parse(s: &str) -> Result<MediaOrigin, DomainError> {
        [
            MediaOrigin::Upload,
            MediaOrigin::Message,
            MediaOrigin::ProfilePicture,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
        .ok_or_else(|| DomainError::invalid("origin", format!("unknown media origin {s:?}")))
    }
}

/// One file and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MediaFile {
    pub id: MediaFileId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub origin: MediaOrigin,
    /// The message whose media this is.
    pub message_id: Option<MessageId>,
    pub status: MediaStatus,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
    /// Bytes, once stored.
    pub size: Option<i64>,
    /// Hex SHA-256 of the stored bytes (also the `ETag`).
    pub sha256: Option<String>,
    /// Why it is not stored.
    pub error: Option<String>,
    /// Where WAHA offered it (it expires); never shown.
    #[serde(skip)]
    pub source_url: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stored_at: Option<DateTime<Utc>>,
}

/// What the download job carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaDownload {
    pub file_id: MediaFileId,
}

impl MediaDownload {
    pub fn job(f: &MediaFile, now: DateTime<Utc>) -> crate::job::Job {
        crate::job::Job::pending(
            crate::tenancy::Scope {
                tenant_id: f.tenant_id,
                project_id: f.project_id,
            },
            MEDIA_DOWNLOAD_JOB,
            format!("{MEDIA_DOWNLOAD_JOB}:{}", f.id),
            serde_json::json!(MediaDownload { file_id: f.id }),
            now,
            now,
        )
    }
}

/// A file name safe to put in `Content-Disposition`: no path, no quotes or control
/// characters, at most 200 characters.
pub fn safe_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | ';'))
        .take(200)
        .collect();
    if clean.trim().is_empty() || clean == "." || clean == ".." {
        "file".into()
    } else {
        clean
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_filenames_are_made_safe() {
        for s in [
            MediaStatus::Pending,
            MediaStatus::Stored,
            MediaStatus::Failed,
            MediaStatus::Expired,
            MediaStatus::TooLarge,
        ] {
            assert_eq!(MediaStatus::parse(s.as_str()), Ok(s));
        }
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("a\"b;\r\nc.pdf"), "abc.pdf");
        assert_eq!(safe_filename(".."), "file");
        assert_eq!(safe_filename("Quote 12.pdf"), "Quote 12.pdf");
    }
}

/// Fetches a contact's WhatsApp profile picture into the media store.
pub const PROFILE_PICTURE_JOB: &str = "contact.profile_picture";

/// The default age after which a contact's picture is fetched again on a new session
/// (`VENTROS_PROFILE_PICTURE_REFRESH_HOURS`).
pub const DEFAULT_PICTURE_REFRESH_HOURS: u32 = 24;

/// A contact's profile picture as Ventros last saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContactPicture {
    pub tenant_id: TenantId,
    pub contact_id: crate::ids::ContactId,
    /// Ventros' copy; `None` when the contact has no picture (or hides it).
    pub file_id: Option<MediaFileId>,
    pub sha256: Option<String>,
    /// When WAHA was last asked.
    pub checked_at: DateTime<Utc>,
}

/// What the profile picture job carries: whose picture, asked through which channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProfilePictureJob {
    pub contact_id: crate::ids::ContactId,
    pub channel_id: crate::ids::ChannelId,
}

impl ProfilePictureJob {
    /// One live job per contact: arming it again moves it.
    pub fn job(
        scope: crate::tenancy::Scope,
        contact: crate::ids::ContactId,
        channel: crate::ids::ChannelId,
        now: DateTime<Utc>,
    ) -> crate::job::Job {
        crate::job::Job::pending(
            scope,
            PROFILE_PICTURE_JOB,
            format!("{PROFILE_PICTURE_JOB}:{contact}"),
            serde_json::json!(ProfilePictureJob {
                contact_id: contact,
                channel_id: channel
            }),
            now,
            now,
        )
    }
}
