//! Debounce: completes message groups when their quiet window (or maximum age) passes, and
//! lists them.

use crate::actor::Actor;
use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, ConversationStore, JobFinish, JobHandler, MessageGroupStore};
use crate::usecases::events::{job_event, job_payload};
use async_trait::async_trait;
use serde_json::json;
use std::sync::Arc;
use ventros_domain::event::EventType;
use ventros_domain::ids::ChatId;
use ventros_domain::job::Job;
use ventros_domain::message::Message;
use ventros_domain::message_group::{GroupFlush, GroupStatus, MESSAGE_GROUP_FLUSH, MessageGroup};
use ventros_domain::rbac::Permission;

pub struct MessageGroupHandler<S: ?Sized> {
    pub store: Arc<S>,
    pub clock: Arc<dyn Clock>,
}

/// The group's messages in the order they were written, and their text joined by newlines.
pub fn completed_payload(g: &MessageGroup, messages: &[Message]) -> serde_json::Value {
    let text: Vec<&str> = messages
        .iter()
        .filter_map(|m| m.body.as_deref())
        .filter(|b| !b.trim().is_empty())
        .collect();
    json!({
        "group_id": g.id,
        "channel_id": g.channel_id,
        "chat_id": g.chat_id,
        "session_id": g.session_id,
        "contact_id": messages.iter().find_map(|m| m.contact_id),
        "reason": g.close_reason(),
        "opened_at": g.opened_at,
        "last_message_at": g.last_message_at,
        "message_count": messages.len(),
        "messages": messages.iter().map(|m| json!({
            "message_id": m.id,
            "sent_at": m.sent_at,
            "content_type": m.content_type,
            "body": m.body,
            "media": m.media,
        })).collect::<Vec<_>>(),
        "text": text.join("\n"),
    })
}

#[async_trait]
impl<S: MessageGroupStore + ConversationStore + ?Sized + 'static> JobHandler
    for MessageGroupHandler<S>
{
    fn kind(&self) -> &'static str {
        MESSAGE_GROUP_FLUSH
    }

    /// Fire then check: a group that is no longer pending is left alone; one whose window
    /// moved is rescheduled; otherwise it is taken (pending → processing, only if no message
    /// joined meanwhile) and completed with its event.
    async fn handle(&self, job: &Job) -> AppResult<JobFinish> {
        let p: GroupFlush = match job_payload(job) {
            Ok(x) => x,
            Err(dead) => return Ok(dead),
        };
        let scope = job.scope();
        let now = self.clock.now();
        let Some(g) = self.store.get_message_group(scope, p.group_id).await? else {
            return Ok(JobFinish::Done);
        };
        match g.status {
            GroupStatus::Pending => {
                let due = g.due_at();
                if due > now {
                    return Ok(JobFinish::RunAt(due));
                }
                if !self
                    .store
                    .start_message_group(scope, g.id, g.last_message_at)
                    .await?
                {
                    // A message joined (or a human answered) between the read and the write.
                    return Ok(JobFinish::RunAt(now));
                }
            }
            // Taken by an earlier run that did not finish: finish it.
            GroupStatus::Processing => {}
            GroupStatus::Completed | GroupStatus::Failed | GroupStatus::Superseded => {
                return Ok(JobFinish::Done);
            }
        }
        let mut messages = Vec::with_capacity(g.message_ids.len());
        for id in &g.message_ids {
            if let Some(m) = self.store.get_message(scope, *id).await? {
                messages.push(m);
            }
        }
        if messages.is_empty() {
            self.store
                .finish_message_group(scope, g.id, GroupStatus::Failed, now, None)
                .await?;
            return Ok(JobFinish::Done);
        }
        // Stable: messages written in the same instant keep their arrival order.
        messages.sort_by_key(|m| m.sent_at);
        let event = job_event(
            job,
            EventType::MessageGroupCompleted,
            g.id.0,
            now,
            completed_payload(&g, &messages),
        );
        self.store
            .finish_message_group(scope, g.id, GroupStatus::Completed, now, Some(&event))
            .await?;
        Ok(JobFinish::Done)
    }
}

pub async fn list_message_groups(
    store: &dyn MessageGroupStore,
    actor: &Actor,
    chat: Option<ChatId>,
    status: Option<GroupStatus>,
    page: PageRequest,
) -> AppResult<Page<MessageGroup>> {
    actor.require(Permission::MessagesRead)?;
    store
        .list_message_groups(actor.scope, chat, status, page)
        .await
}
