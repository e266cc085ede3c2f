//! `media.download`: a customer's photo, voice note or document goes from WAHA (which
//! deletes its copy after ~180 s) into Ventros' media store, armed in the ingest transaction
//! so it runs within seconds. WAHA's 404 is asked again once through get-message with
//! `downloadMedia=true` (a fresh URL); what cannot be had is recorded (`failed`, `expired`,
//! `too_large`), never retried forever.

use crate::error::AppResult;
use crate::ports::{
    ChannelStore, Clock, ConversationStore, GatewayError, JobFinish, JobHandler, MediaFileStore,
    MediaStore, WhatsAppGateway, media_key,
};
use crate::usecases::channel_activation::target;
use crate::usecases::events::{job_event, job_payload};
use async_trait::async_trait;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::sync::Arc;
use ventros_domain::event::EventType;
use ventros_domain::job::{Job, retry_delay};
use ventros_domain::media::{MEDIA_DOWNLOAD_JOB, MediaDownload, MediaFile, MediaStatus};
use ventros_domain::message::Message;

pub struct MediaDownloadHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub gateway: Arc<dyn WhatsAppGateway>,
    pub media: Arc<dyn MediaStore>,
    pub clock: Arc<dyn Clock>,
    /// `VENTROS_MEDIA_MAX_BYTES`.
    pub max_bytes: u64,
}

/// Hex SHA-256.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

impl<S: ChannelStore + ConversationStore + MediaFileStore + ?Sized> MediaDownloadHandler<S> {
    async fn finish(
        &self,
        f: &mut MediaFile,
        status: MediaStatus,
        error: Option<String>,
    ) -> AppResult<JobFinish> {
        f.status = status;
        f.error = error;
        f.updated_at = self.clock.now();
        self.store.update_media_file(f, &[]).await?;
        Ok(JobFinish::Done)
    }

    async fn stored(
        &self,
        job: &Job,
        f: &mut MediaFile,
        m: &Message,
        bytes: Vec<u8>,
        mimetype: Option<String>,
    ) -> AppResult<JobFinish> {
        let now = self.clock.now();
        let sha = sha256_hex(&bytes);
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        self.media
            .put(&media_key(f.tenant_id, f.id.0), bytes)
            .await?;
        f.status = MediaStatus::Stored;
        f.size = Some(size);
        f.sha256 = Some(sha);
        f.mimetype = f.mimetype.clone().or(mimetype);
        f.error = None;
        f.stored_at = Some(now);
        f.updated_at = now;
        let payload = json!({"message_id": m.id, "chat_id": m.chat_id, "session_id": m.session_id,
            "contact_id": m.contact_id, "file_id": f.id, "mimetype": f.mimetype, "filename": f.filename,
            "size": f.size, "sha256": f.sha256});
        let event = job_event(job, EventType::MessageMediaStored, m.id.0, now, payload);
        self.store.update_media_file(f, &[event]).await?;
        Ok(JobFinish::Done)
    }
}

#[async_trait]
impl<S: ChannelStore + ConversationStore + MediaFileStore + ?Sized + 'static> JobHandler
    for MediaDownloadHandler<S>
{
    fn kind(&self) -> &'static str {
        MEDIA_DOWNLOAD_JOB
    }

    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let d: MediaDownload = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        let scope = job.scope();
        let Some(mut f) = self
            .store
            .get_media_file(scope.tenant_id, d.file_id)
            .await?
        else {
            return Ok(JobFinish::Done);
        };
        if f.status != MediaStatus::Pending {
            return Ok(JobFinish::Done);
        }
        let message = match f.message_id {
            Some(id) => self.store.get_message(scope, id).await?,
            None => None,
        };
        let Some(m) = message else {
            return self
                .finish(
                    &mut f,
                    MediaStatus::Failed,
                    Some("its message is gone".into()),
                )
                .await;
        };
        let Some(c) = self.store.get_channel(scope, m.channel_id).await? else {
            let why = "the channel was deleted before the media was downloaded";
            return self
                .finish(&mut f, MediaStatus::Failed, Some(why.into()))
                .await;
        };
        let Some(url) = f.source_url.clone() else {
            let why = "WAHA gave no URL for the media";
            return self
                .finish(&mut f, MediaStatus::Failed, Some(why.into()))
                .await;
        };
        let t = target(&c);
        let cap = usize::try_from(self.max_bytes).unwrap_or(usize::MAX);
        let first = self.gateway.download(&t, &url, cap).await;
        let got = match first {
            Err(GatewayError::Refused { status: 404, .. }) => {
                // WAHA's file is gone (or never was there): ask for the message again with
                // its media, once.
                let chat = self.store.get_chat(scope, m.chat_id).await?;
                let fresh = match chat {
                    Some(chat) => self
                        .gateway
                        .get_message(&t, &chat.wa_chat_id, &m.provider_id, true)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|g| g.media_url),
                    None => None,
                };
                match fresh {
                    Some(u) if u != url => {
                        f.source_url = Some(u.clone());
                        self.gateway.download(&t, &u, cap).await
                    }
                    _ => {
                        let why = "WAHA no longer has the file (its copies last ~180 s)";
                        return self
                            .finish(&mut f, MediaStatus::Expired, Some(why.into()))
                            .await;
                    }
                }
            }
            other => other,
        };
        match got {
            Ok(d) => self.stored(job, &mut f, &m, d.bytes, d.mimetype).await,
            Err(GatewayError::Refused {
                code: "too_large", ..
            }) => {
                let why = format!(
                    "larger than VENTROS_MEDIA_MAX_BYTES ({} bytes)",
                    self.max_bytes
                );
                self.finish(&mut f, MediaStatus::TooLarge, Some(why)).await
            }
            Err(GatewayError::Refused { status: 404, .. }) => {
                let why = "WAHA no longer has the file (its copies last ~180 s)";
                self.finish(&mut f, MediaStatus::Expired, Some(why.into()))
                    .await
            }
            Err(e @ GatewayError::Refused { .. }) => {
                self.finish(&mut f, MediaStatus::Failed, Some(e.to_string()))
                    .await
            }
            Err(e) if job.attempts >= job.max_attempts => {
                let why = format!("not downloaded after {} tries: {e}", job.attempts);
                self.finish(&mut f, MediaStatus::Failed, Some(why)).await
            }
            Err(e) => Ok(JobFinish::Retry {
                at: self.clock.now() + retry_delay(job.attempts),
                error: e.to_string(),
            }),
        }
    }
}
