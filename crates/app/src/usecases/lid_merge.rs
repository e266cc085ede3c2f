//! A contact first seen by its WhatsApp LID (`…@lid`, the phone hidden) becomes its phone
//! contact once WAHA's LID lookup gives the number: `contact.lid_lookup` is armed when such
//! a contact appears (and at each of its new sessions); the job asks WAHA and either gives
//! the contact its phone, or, when a contact with that phone exists already, merges the LID
//! contact into it so its chats, sessions, messages, notes and timeline follow the survivor.

use crate::error::AppResult;
use crate::page::PageRequest;
use crate::ports::{
    ChannelStore, Clock, ContactFilter, CrmStore, GatewayError, JobFinish, JobHandler,
    WhatsAppGateway,
};
use crate::usecases::channel_activation::target;
use crate::usecases::events::{contact_payload, job_event, job_payload};
use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;
use ventros_domain::contact::{LID_LOOKUP_JOB, LidLookupJob};
use ventros_domain::event::EventType;
use ventros_domain::job::{Job, retry_delay};
use ventros_domain::wa_id::Jid;

pub struct LidLookupHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub gateway: Arc<dyn WhatsAppGateway>,
    pub clock: Arc<dyn Clock>,
}

#[async_trait]
impl<S: ChannelStore + CrmStore + ?Sized + 'static> JobHandler for LidLookupHandler<S> {
    fn kind(&self) -> &'static str {
        LID_LOOKUP_JOB
    }

    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let p: LidLookupJob = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        let scope = job.scope();
        let now = self.clock.now();
        let Some(contact) = self.store.get_contact(scope, p.contact_id).await? else {
            return Ok(JobFinish::Done);
        };
        let (true, Some(lid)) = (contact.lid_only(), contact.lid.clone()) else {
            return Ok(JobFinish::Done);
        };
        let Some(channel) = self.store.get_channel(scope, p.channel_id).await? else {
            return Ok(JobFinish::Done);
        };
        let pn = match self.gateway.lid_phone(&target(&channel), &lid).await {
            Ok(pn) => pn,
            // WAHA will not say: asked again at the contact's next session.
            Err(GatewayError::Refused { .. }) => return Ok(JobFinish::Done),
            Err(e) if job.attempts < job.max_attempts => {
                return Ok(JobFinish::Retry {
                    at: now + retry_delay(job.attempts),
                    error: e.to_string(),
                });
            }
            Err(_) => return Ok(JobFinish::Done),
        };
        // Not known yet (WhatsApp shares the number later): the next session asks again.
        let Some(jid) = pn.as_deref().and_then(|p| Jid::parse(p).ok()) else {
            return Ok(JobFinish::Done);
        };
        let Some(phone) = jid.phone() else {
            return Ok(JobFinish::Done);
        };
        let twin = self
            .store
            .search_contacts(
                scope.tenant_id,
                &ContactFilter {
                    phone: Some(phone.clone()),
                    ..ContactFilter::default()
                },
                PageRequest::first(1),
            )
            .await?
            .data
            .into_iter()
            .find(|c| c.id != contact.id);
        match twin {
            Some(mut survivor) => {
                survivor.absorb(&contact, now);
                let mut payload = contact_payload(&survivor);
                payload["merged_contact_id"] = json!(contact.id);
                payload["merged_lid"] = json!(lid);
                let event = job_event(job, EventType::ContactMerged, survivor.id.0, now, payload);
                self.store
                    .merge_contacts(&survivor, contact.id, &[event])
                    .await?;
            }
            None => {
                let mut c = contact;
                c.phone = Some(phone);
                c.wa_id = Some(jid.to_string());
                c.updated_at = now;
                let mut payload = contact_payload(&c);
                payload["changed"] = json!(["phone", "wa_id"]);
                let event = job_event(job, EventType::ContactUpdated, c.id.0, now, payload);
                self.store
                    .save_contacts(std::slice::from_ref(&c), &[event])
                    .await?;
            }
        }
        Ok(JobFinish::Done)
    }
}
