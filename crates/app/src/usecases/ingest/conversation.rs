//! Finding or creating the contact, chat and session a delivery is about. Inserts that can
//! race with a concurrent delivery are `ON CONFLICT DO NOTHING` followed by a second look.

use super::Ingest;
use crate::error::{AppError, AppResult};
use crate::usecases::events::{chat_payload, contact_payload, ended_payload, session_payload};
use crate::usecases::session_timeout::INACTIVITY;
use chrono::{DateTime, Utc};
use serde_json::json;
use ventros_domain::chat::{Chat, ChatKind};
use ventros_domain::contact::{Contact, ContactSighting, LidLookupJob};
use ventros_domain::event::EventType;
use ventros_domain::ids::ChatId;
use ventros_domain::job::{SessionMetricsJob, SessionTimeout};
use ventros_domain::media::ProfilePictureJob;
use ventros_domain::session::Session;
use ventros_domain::wa_id::Jid;

impl Ingest<'_, '_, '_> {
    pub(super) async fn contact(&mut self, s: &ContactSighting) -> AppResult<Contact> {
        for _ in 0..2 {
            if let Some(mut c) = self.tx.find_contact(s).await? {
                if let Some(ch) = s.changes_to(&c) {
                    ch.apply(&mut c, self.now);
                    self.tx.update_contact(&c).await?;
                    let mut p = contact_payload(&c);
                    p["changed"] = json!(ch.field_names());
                    self.em.emit(EventType::ContactUpdated, c.id.0, p);
                }
                return Ok(c);
            }
            let c = s.to_new_contact(
                self.channel.scope.tenant_id,
                self.channel.scope.project_id,
                self.now,
            );
            if self.tx.insert_contact(&c).await? {
                self.em
                    .emit(EventType::ContactCreated, c.id.0, contact_payload(&c));
                self.look_up_lid(&c).await?;
                return Ok(c);
            }
        }
        Err(AppError::internal("contact upsert lost two races"))
    }

    /// A contact known only by its LID gets its phone number looked up in the background
    /// (WAHA is never called in this transaction).
    pub(super) async fn look_up_lid(&mut self, c: &Contact) -> AppResult<()> {
        if c.lid_only() {
            let job = LidLookupJob::job(self.channel.scope, c.id, self.channel_id(), self.now);
            self.tx.arm_job(&job).await?;
        }
        Ok(())
    }

    pub(super) async fn chat(
        &mut self,
        jid: &Jid,
        kind: ChatKind,
        contact: Option<&Contact>,
        subject: Option<String>,
    ) -> AppResult<Chat> {
        let new = Chat {
            id: ChatId::new(),
            tenant_id: self.channel.scope.tenant_id,
            project_id: self.channel.scope.project_id,
            channel_id: self.channel_id(),
            wa_chat_id: jid.to_string(),
            kind,
            contact_id: contact.map(|c| c.id),
            subject,
            last_message_at: None,
            created_at: self.now,
        };
        for _ in 0..2 {
            if let Some(c) = self.tx.find_chat(new.channel_id, &new.wa_chat_id).await? {
                return Ok(c);
            }
            if self.tx.insert_chat(&new).await? {
                self.em
                    .emit(EventType::ChatCreated, new.id.0, chat_payload(&new));
                return Ok(new);
            }
        }
        Err(AppError::internal("chat upsert lost two races"))
    }

    pub(super) async fn session(&mut self, new: Session) -> AppResult<Session> {
        for _ in 0..2 {
            if let Some(s) = self.tx.find_active_session(new.chat_id).await?
                && !self.end_if_expired(&s, new.started_at).await?
            {
                return Ok(s);
            }
            if self.tx.insert_session(&new).await? {
                self.em
                    .emit(EventType::SessionStarted, new.id.0, session_payload(&new));
                // A new session looks at the contact's picture (the job fetches it only when
                // it is missing or stale; WAHA is never called in this transaction).
                if let Some(contact) = new.contact_id {
                    let job = ProfilePictureJob::job(
                        self.channel.scope,
                        contact,
                        self.channel_id(),
                        self.now,
                    );
                    self.tx.arm_job(&job).await?;
                }
                return Ok(new);
            }
        }
        Err(AppError::internal("session open lost two races"))
    }

    /// Ends `s` by inactivity when a message at `at` comes at or after its deadline, so the
    /// message opens a new session even when the timer has not fired yet (workers stopped or
    /// behind); the figures are those the timer would have given. `false` when `s` goes on.
    async fn end_if_expired(&mut self, s: &Session, at: DateTime<Utc>) -> AppResult<bool> {
        let Some(job) = self.tx.pending_job(&SessionTimeout::key(s.id)).await? else {
            return Ok(false);
        };
        let Ok(timer) = serde_json::from_value::<SessionTimeout>(job.payload) else {
            return Ok(false);
        };
        // Measured in WhatsApp's time, also when a late arrival holds the timer back.
        let due = timer.deadline(s);
        if at < due
            || !self
                .tx
                .end_session(s.id, s.last_message_at, due, INACTIVITY)
                .await?
        {
            return Ok(false);
        }
        self.em.emit(
            EventType::SessionEnded,
            s.id.0,
            ended_payload(s, due, INACTIVITY),
        );
        self.tx
            .arm_job(&SessionMetricsJob::job(s, self.now))
            .await?;
        Ok(true)
    }
}
