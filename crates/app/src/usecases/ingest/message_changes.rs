//! What happens to a message Ventros already has: delivery acks (kept when they arrive
//! first), deletion, edits, reactions and poll votes.

use super::{Ingest, IngestOutcome};
use crate::error::AppResult;
use chrono::{DateTime, Utc};
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::message::DeliveryStatus;
use ventros_domain::wa_id::Jid;

impl Ingest<'_, '_, '_> {
    pub(super) async fn ack(
        &mut self,
        from_me: bool,
        raw_id: &str,
        status: DeliveryStatus,
    ) -> AppResult<IngestOutcome> {
        match self
            .tx
            .find_message(self.channel_id(), Some(from_me), raw_id)
            .await?
        {
            Some(mut m) => {
                // An ack of a send through Ventros confirms it, as its echo would.
                if from_me
                    && status >= DeliveryStatus::Sent
                    && self.confirm_send(m.id, self.now).await?
                    && let Some(now) = self.tx.get_message(m.id).await?
                {
                    m.status = now.status;
                    m.session_id = now.session_id;
                }
                let next = m.status.advance(status);
                if next == m.status {
                    return Ok(IngestOutcome::Ignored(format!(
                        "status stays {}",
                        m.status.as_str()
                    )));
                }
                self.tx.set_message_status(m.id, next).await?;
                self.em.emit(
                    EventType::MessageStatusChanged,
                    m.id.0,
                    json!({"message_id": m.id, "chat_id": m.chat_id, "session_id": m.session_id,
                           "contact_id": m.contact_id, "from": m.status, "to": next}),
                );
                Ok(IngestOutcome::Processed)
            }
            None => {
                self.tx
                    .keep_pending_ack(self.channel_id(), from_me, raw_id, status, self.now)
                    .await?;
                Ok(IngestOutcome::Unmatched(
                    "ack kept until its message arrives".into(),
                ))
            }
        }
    }

    pub(super) async fn revoked(
        &mut self,
        raw_id: &str,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), None, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("revoked message not found".into()));
        };
        if m.deleted {
            return Ok(IngestOutcome::Ignored("already deleted".into()));
        }
        self.tx.mark_message_deleted(m.id, at).await?;
        self.em.emit(
            EventType::MessageDeleted,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "session_id": m.session_id, "contact_id": m.contact_id, "deleted_at": at}),
        );
        Ok(IngestOutcome::Processed)
    }

    pub(super) async fn edited(
        &mut self,
        raw_id: &str,
        body: Option<String>,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), None, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("edited message not found".into()));
        };
        if m.body == body {
            return Ok(IngestOutcome::Ignored("body unchanged".into()));
        }
        self.tx
            .edit_message(m.id, m.body.as_deref(), body.as_deref(), at)
            .await?;
        self.em.emit(
            EventType::MessageEdited,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "session_id": m.session_id, "contact_id": m.contact_id,
                   "previous_body": m.body, "body": body, "edited_at": at}),
        );
        Ok(IngestOutcome::Processed)
    }

    pub(super) async fn reaction(
        &mut self,
        from_me: Option<bool>,
        raw_id: &str,
        reactor: &str,
        text: &str,
    ) -> AppResult<IngestOutcome> {
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), from_me, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("reacted message not found".into()));
        };
        let mut reactions = match m.reactions {
            serde_json::Value::Object(map) => map,
            _ => serde_json::Map::new(),
        };
        let before = reactions.get(reactor).cloned();
        if text.is_empty() {
            reactions.remove(reactor);
        } else {
            reactions.insert(reactor.to_string(), json!(text));
        }
        if reactions.get(reactor).cloned() == before {
            return Ok(IngestOutcome::Ignored("reaction unchanged".into()));
        }
        let reactions = serde_json::Value::Object(reactions);
        self.tx.set_reactions(m.id, &reactions).await?;
        self.em.emit(
            EventType::MessageReactionChanged,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "contact_id": m.contact_id, "reactor": reactor,
                   "reaction": if text.is_empty() { None } else { Some(text) }, "reactions": reactions}),
        );
        Ok(IngestOutcome::Processed)
    }

    pub(super) async fn poll_vote(
        &mut self,
        raw_id: &str,
        from_me: Option<bool>,
        voter: Option<Jid>,
        selected: &[String],
        failed: bool,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        if failed {
            return Ok(IngestOutcome::Ignored(
                "the gateway could not decrypt this vote".into(),
            ));
        }
        let Some(m) = self
            .tx
            .find_message(self.channel_id(), from_me, raw_id)
            .await?
        else {
            return Ok(IngestOutcome::Unmatched("poll not found".into()));
        };
        let voter = voter.map(|j| j.to_string()).unwrap_or_else(|| "me".into());
        self.tx.record_poll_vote(m.id, &voter, selected, at).await?;
        self.em.emit(
            EventType::PollVoteReceived,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "contact_id": m.contact_id, "voter": voter, "selected_options": selected, "at": at}),
        );
        Ok(IngestOutcome::Processed)
    }
}
