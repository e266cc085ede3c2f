use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChatId, MessageGroupId};
use ventros_domain::message_group::{GroupStatus, MessageGroup};
use ventros_domain::tenancy::Scope;

/// Message groups outside the ingest transaction: the flush job and the API.
#[async_trait]
pub trait MessageGroupStore: Send + Sync {
    async fn get_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
    ) -> AppResult<Option<MessageGroup>>;
    /// Pending → processing, only if no message joined since `last_message_at`.
    async fn start_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
        last_message_at: DateTime<Utc>,
    ) -> AppResult<bool>;
    /// Processing → `status` (completed or failed) at `at`, with its event if any.
    async fn finish_message_group(
        &self,
        scope: Scope,
        id: MessageGroupId,
        status: GroupStatus,
        at: DateTime<Utc>,
        event: Option<&EventEnvelope>,
    ) -> AppResult<bool>;
    async fn list_message_groups(
        &self,
        scope: Scope,
        chat: Option<ChatId>,
        status: Option<GroupStatus>,
        page: PageRequest,
    ) -> AppResult<Page<MessageGroup>>;
}
