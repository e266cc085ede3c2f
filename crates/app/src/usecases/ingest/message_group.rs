//! Debounce inside the ingest transaction: a contact's message joins the chat's pending
//! group; a human answer supersedes it.

use super::Ingest;
use crate::error::{AppError, AppResult};
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::ids::MessageGroupId;
use ventros_domain::message::Message;
use ventros_domain::message_group::{GroupStatus, MessageGroup};

impl Ingest<'_, '_, '_> {
    pub(super) async fn join_message_group(&mut self, m: &Message) -> AppResult<()> {
        let g = match self
            .tx
            .append_to_message_group(m.chat_id, m.id, self.now)
            .await?
        {
            Some(g) => g,
            None => {
                let g = MessageGroup {
                    id: MessageGroupId::new(),
                    tenant_id: m.tenant_id,
                    project_id: m.project_id,
                    channel_id: m.channel_id,
                    chat_id: m.chat_id,
                    session_id: m.session_id,
                    status: GroupStatus::Pending,
                    message_ids: vec![m.id],
                    opened_at: self.now,
                    last_message_at: self.now,
                    debounce_ms: self.channel.debounce_timeout_ms,
                    max_age_ms: self.channel.message_group_max_age_ms,
                    closed_at: None,
                };
                if self.tx.insert_message_group(&g).await? {
                    g
                } else {
                    // Another delivery opened it first: join that one.
                    self.tx
                        .append_to_message_group(m.chat_id, m.id, self.now)
                        .await?
                        .ok_or_else(|| {
                            AppError::conflict(
                                "message_group_busy",
                                "message group changed concurrently",
                            )
                        })?
                }
            }
        };
        self.tx.arm_job(&g.job(self.now)).await
    }

    pub(super) async fn supersede_message_group(&mut self, m: &Message) -> AppResult<()> {
        if let Some(g) = self.tx.supersede_message_group(m.chat_id, self.now).await? {
            self.em.emit(
                EventType::MessageGroupSuperseded,
                g.id.0,
                json!({
                    "group_id": g.id,
                    "channel_id": g.channel_id,
                    "chat_id": g.chat_id,
                    "session_id": g.session_id,
                    "message_ids": g.message_ids,
                    "superseded_by_message_id": m.id,
                    "opened_at": g.opened_at,
                    "closed_at": g.closed_at,
                }),
            );
        }
        Ok(())
    }
}
