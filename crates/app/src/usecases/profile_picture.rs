//! *FetchContactProfilePicture*: a new session arms `contact.profile_picture`; the job asks
//! WAHA for the contact's picture when Ventros has none yet or its copy is older than
//! `VENTROS_PROFILE_PICTURE_REFRESH_HOURS`, keeps a copy in the media store (WhatsApp's URLs
//! expire) and emits `contact.profile_picture_updated` only when the picture changed, also
//! when it was removed.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{
    ChannelStore, Clock, CrmStore, GatewayError, JobFinish, JobHandler, MediaBytes, MediaFileStore,
    MediaStore, WhatsAppGateway, media_key,
};
use crate::usecases::channel_activation::target;
use crate::usecases::events::{job_event, job_payload};
use crate::usecases::media_download::sha256_hex;
use async_trait::async_trait;
use chrono::Duration;
use serde_json::json;
use std::sync::Arc;
use ventros_domain::contact::Contact;
use ventros_domain::event::EventType;
use ventros_domain::ids::{ContactId, MediaFileId};
use ventros_domain::job::{Job, retry_delay};
use ventros_domain::media::{
    ContactPicture, MediaFile, MediaOrigin, MediaStatus, PROFILE_PICTURE_JOB, ProfilePictureJob,
};
use ventros_domain::rbac::Permission;

pub struct ProfilePictureHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub gateway: Arc<dyn WhatsAppGateway>,
    pub media: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
    pub refresh_hours: u32,
    pub max_bytes: u64,
}

/// The WhatsApp id WAHA knows the contact by.
fn wa_id(c: &Contact) -> Option<String> {
    c.wa_id
        .clone()
        .or_else(|| c.phone.as_ref().map(|p| format!("{}@c.us", p.digits())))
        .or_else(|| c.lid.clone())
}

#[async_trait]
impl<S: ChannelStore + CrmStore + MediaFileStore + ?Sized + 'static> JobHandler
    for ProfilePictureHandler<S>
{
    fn kind(&self) -> &'static str {
        PROFILE_PICTURE_JOB
    }

    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let p: ProfilePictureJob = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        let scope = job.scope();
        let now = self.clock.now();
        let Some(contact) = self.store.get_contact(scope, p.contact_id).await? else {
            return Ok(JobFinish::Done);
        };
        let before = self
            .store
            .get_contact_picture(scope.tenant_id, contact.id)
            .await?;
        let fresh = Duration::hours(i64::from(self.refresh_hours));
        if before.as_ref().is_some_and(|b| now - b.checked_at < fresh) {
            return Ok(JobFinish::Done);
        }
        let (Some(channel), Some(wa)) = (
            self.store.get_channel(scope, p.channel_id).await?,
            wa_id(&contact),
        ) else {
            return Ok(JobFinish::Done);
        };
        let t = target(&channel);
        let cap = usize::try_from(self.max_bytes).unwrap_or(usize::MAX);
        let fetched = match self.gateway.profile_picture(&t, &wa).await {
            Ok(None) => Ok(None),
            Ok(Some(url)) => self.gateway.download(&t, &url, cap).await.map(Some),
            Err(e) => Err(e),
        };
        let got = match fetched {
            Ok(g) => g,
            // WAHA will not say (or the picture is too large): try again at the next stale
            // session, not in a loop.
            Err(GatewayError::Refused { .. }) => {
                let picture = ContactPicture {
                    checked_at: now,
                    ..before.clone().unwrap_or(ContactPicture {
                        tenant_id: scope.tenant_id,
                        contact_id: contact.id,
                        file_id: None,
                        sha256: None,
                        checked_at: now,
                    })
                };
                self.store.save_contact_picture(&picture, None, &[]).await?;
                return Ok(JobFinish::Done);
            }
            Err(e) if job.attempts < job.max_attempts => {
                return Ok(JobFinish::Retry {
                    at: now + retry_delay(job.attempts),
                    error: e.to_string(),
                });
            }
            Err(_) => return Ok(JobFinish::Done),
        };
        let sha = got.as_ref().map(|d| sha256_hex(&d.bytes));
        let previous = before.as_ref().and_then(|b| b.file_id);
        let changed = before.as_ref().and_then(|b| b.sha256.clone()) != sha;
        let new_file = match (&got, changed) {
            (Some(d), true) => {
                let f = MediaFile {
                    id: MediaFileId::new(),
                    tenant_id: scope.tenant_id,
                    project_id: scope.project_id,
                    origin: MediaOrigin::ProfilePicture,
                    message_id: None,
                    status: MediaStatus::Stored,
                    mimetype: Some(d.mimetype.clone().unwrap_or_else(|| "image/jpeg".into())),
                    filename: Some("profile.jpg".into()),
                    size: Some(i64::try_from(d.bytes.len()).unwrap_or(i64::MAX)),
                    sha256: sha.clone(),
                    error: None,
                    source_url: None,
                    created_at: now,
                    updated_at: now,
                    stored_at: Some(now),
                };
                self.media
                    .put(&media_key(f.tenant_id, f.id.0), d.bytes.clone())
                    .await?;
                Some(f)
            }
            _ => None,
        };
        let file_id = match (&new_file, changed) {
            (Some(f), _) => Some(f.id),
            (None, true) => None,
            (None, false) => previous,
        };
        let picture = ContactPicture {
            tenant_id: scope.tenant_id,
            contact_id: contact.id,
            file_id,
            sha256: sha.clone(),
            checked_at: now,
        };
        // A first look that finds no picture is no change.
        let events = match changed && (before.is_some() || got.is_some()) {
            true => vec![job_event(
                job,
                EventType::ContactProfilePictureUpdated,
                contact.id.0,
                now,
                json!({"contact_id": contact.id, "file_id": file_id, "previous_file_id": previous, "sha256": sha}),
            )],
            false => Vec::new(),
        };
        self.store
            .save_contact_picture(&picture, new_file.as_ref(), &events)
            .await?;
        Ok(JobFinish::Done)
    }
}

/// The contact's picture as Ventros keeps it: its file and bytes.
pub async fn contact_picture<S>(
    store: &S,
    media: &dyn MediaStore,
    actor: &Actor,
    id: ContactId,
) -> AppResult<(MediaFile, MediaBytes)>
where
    S: CrmStore + MediaFileStore + ?Sized,
{
    actor.require(Permission::ContactsRead)?;
    store
        .get_contact(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("contact"))?;
    let file = store
        .get_contact_picture(actor.scope.tenant_id, id)
        .await?
        .and_then(|p| p.file_id)
        .ok_or(AppError::NotFound("profile picture"))?;
    let f = store
        .get_media_file(actor.scope.tenant_id, file)
        .await?
        .ok_or(AppError::NotFound("profile picture"))?;
    let bytes = crate::usecases::media::read_media(media, &f, None).await?;
    Ok((f, bytes))
}
