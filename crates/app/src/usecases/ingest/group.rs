//! Group chats: joins, leaves, subject changes and participant changes.

use super::{Ingest, IngestOutcome};
use crate::error::AppResult;
use crate::gateway::GroupChange;
use chrono::{DateTime, Utc};
use serde_json::json;
use ventros_domain::chat::ChatKind;
use ventros_domain::event::EventType;

impl Ingest<'_, '_, '_> {
    pub(super) async fn group(
        &mut self,
        g: GroupChange,
        at: DateTime<Utc>,
    ) -> AppResult<IngestOutcome> {
        let at = g.at.unwrap_or(at);
        let chat = self
            .chat(&g.group, ChatKind::Group, None, g.subject.clone())
            .await?;
        // `join`/`leave` are about our own account; `participants.*` about other members.
        let (left, what) = match g.change.as_str() {
            "join" => (false, "joined"),
            "leave" => (true, "left"),
            "update" => (false, "updated"),
            "participants.join" => (false, "participants_joined"),
            "participants.leave" => (true, "participants_left"),
            "participants.promote" => (false, "participants_promoted"),
            "participants.demote" => (false, "participants_demoted"),
            _ => (false, "participants_updated"),
        };
        if g.change == "leave" {
            self.tx
                .upsert_participants(chat.id, &[("me".into(), "left".into())], true, at)
                .await?;
        }
        if !g.participants.is_empty() {
            self.tx
                .upsert_participants(chat.id, &g.participants, left, at)
                .await?;
        }
        if let (Some(s), false) = (g.subject.as_deref(), chat.subject == g.subject) {
            self.tx.set_chat_subject(chat.id, s).await?;
            self.em.emit(
                EventType::ChatUpdated,
                chat.id.0,
                json!({"chat_id": chat.id, "subject": s}),
            );
        }
        let parts: Vec<_> = g
            .participants
            .iter()
            .map(|(id, role)| json!({"wa_id": id, "role": role}))
            .collect();
        self.em.emit(
            EventType::ChatParticipantsChanged,
            chat.id.0,
            json!({"chat_id": chat.id, "change": what, "participants": parts, "at": at}),
        );
        Ok(IngestOutcome::Processed)
    }
}
