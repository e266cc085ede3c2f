//! What happens to a message Ventros already has: delivery acks, deletion, edits, reactions
//! and poll votes, each kept when it arrives before its message and applied when it lands.

use super::{Ingest, IngestOutcome};
use crate::error::{AppError, AppResult};
use crate::ports::MessageRef;
use chrono::{DateTime, Utc};
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::message::{DeliveryStatus, EarlyChange};

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

    /// A revoke, edit, reaction or poll vote: applied to its message, or kept until the
    /// message lands when it came first.
    pub(super) async fn change(
        &mut self,
        from_me: Option<bool>,
        raw_id: &str,
        change: EarlyChange,
    ) -> AppResult<IngestOutcome> {
        match self
            .tx
            .find_message(self.channel_id(), from_me, raw_id)
            .await?
        {
            Some(m) => self.apply_change(m, change).await,
            None => {
                self.tx
                    .keep_early_change(self.channel_id(), from_me, raw_id, &change, self.now)
                    .await?;
                Ok(IngestOutcome::Unmatched(change.kept_reason().into()))
            }
        }
    }

    /// Applies, in arrival order, the changes that came before this message.
    pub(super) async fn apply_early_changes(
        &mut self,
        from_me: bool,
        raw_id: &str,
    ) -> AppResult<()> {
        let early = self
            .tx
            .take_early_changes(self.channel_id(), from_me, raw_id)
            .await?;
        for change in early {
            // Looked up again for each: the one before may have changed it.
            let m = self
                .tx
                .find_message(self.channel_id(), Some(from_me), raw_id)
                .await?
                .ok_or_else(|| AppError::internal("a message with early changes is gone"))?;
            self.apply_change(m, change).await?;
        }
        Ok(())
    }

    async fn apply_change(
        &mut self,
        m: MessageRef,
        change: EarlyChange,
    ) -> AppResult<IngestOutcome> {
        match change {
            EarlyChange::Revoked { at } => self.revoked(m, at).await,
            EarlyChange::Edited { body, at } => self.edited(m, body, at).await,
            EarlyChange::Reaction { reactor, text } => self.reaction(m, &reactor, &text).await,
            EarlyChange::PollVote {
                voter,
                selected,
                at,
            } => self.poll_vote(m, &voter, &selected, at).await,
        }
    }

    async fn revoked(&mut self, m: MessageRef, at: DateTime<Utc>) -> AppResult<IngestOutcome> {
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

    async fn edited(
        &mut self,
        m: MessageRef,
        body: Option<String>,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
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

    async fn reaction(
        &mut self,
        m: MessageRef,
        reactor: &str,
        text: &str,
    ) -> AppResult<IngestOutcome> {
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

    async fn poll_vote(
        &mut self,
        m: MessageRef,
        voter: &str,
        selected: &[String],
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        self.tx.record_poll_vote(m.id, voter, selected, at).await?;
        self.em.emit(
            EventType::PollVoteReceived,
            m.id.0,
            json!({"message_id": m.id, "chat_id": m.chat_id, "contact_id": m.contact_id, "voter": voter, "selected_options": selected, "at": at}),
        );
        Ok(IngestOutcome::Processed)
    }
}
