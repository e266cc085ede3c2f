//! The channel's WAHA session status and chat presence.

use super::{Ingest, IngestOutcome};
use crate::error::AppResult;
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::wa_id::Jid;

impl Ingest<'_, '_, '_> {
    pub(super) async fn session_status(&mut self, status: &str) -> AppResult<IngestOutcome> {
        let status = ventros_domain::channel::normalise_status(status);
        let previous = self
            .tx
            .set_channel_status(self.channel_id(), &status, self.now)
            .await?;
        if previous == status {
            return Ok(IngestOutcome::Ignored(format!("status stays {status}")));
        }
        self.em.emit(
            EventType::ChannelStatusChanged,
            self.channel_id().0,
            json!({"channel_id": self.channel_id(), "from": previous, "to": status}),
        );
        Ok(IngestOutcome::Processed)
    }

    pub(super) async fn presence(
        &mut self,
        chat: &Jid,
        presences: serde_json::Value,
    ) -> AppResult<IngestOutcome> {
        let Some(c) = self
            .tx
            .find_chat(self.channel_id(), &chat.to_string())
            .await?
        else {
            return Ok(IngestOutcome::Unmatched(
                "presence for an unknown chat".into(),
            ));
        };
        self.em.emit(
            EventType::ChatPresenceUpdated,
            c.id.0,
            json!({"chat_id": c.id, "contact_id": c.contact_id, "presences": presences}),
        );
        Ok(IngestOutcome::Processed)
    }
}
