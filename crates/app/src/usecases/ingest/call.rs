//! Calls: a timeline entry on the caller's contact.

use super::{Ingest, IngestOutcome, sighting_of};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::wa_id::Jid;

impl Ingest<'_, '_, '_> {
    pub(super) async fn call(
        &mut self,
        call_event: &str,
        call_id: &str,
        from: Option<Jid>,
        is_video: bool,
        is_group: bool,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        let Some(s) = from.as_ref().and_then(|j| sighting_of(j, None)) else {
            return Ok(IngestOutcome::Rejected("call without a caller".into()));
        };
        let c = self.contact(&s).await?;
        self.em.emit(
            EventType::ContactCallReceived,
            c.id.0,
            json!({"contact_id": c.id, "call_event": call_event, "call_id": call_id, "is_video": is_video, "is_group": is_group, "at": at}),
        );
        Ok(IngestOutcome::Processed)
    }
}
