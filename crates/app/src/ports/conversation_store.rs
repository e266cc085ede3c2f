use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::chat::{Chat, Participant};
use ventros_domain::ids::{AgentId, ChannelId, ChatId, ContactId, MessageId, SessionId};
use ventros_domain::message::{Direction, Message};
use ventros_domain::session::{Session, SessionStatus};
use ventros_domain::tenancy::Scope;

/// Filters shared by chats and sessions lists.
#[derive(Debug, Clone, Default)]
pub struct ConversationFilter {
    pub contact_id: Option<ContactId>,
    pub channel_id: Option<ChannelId>,
    pub chat_id: Option<ChatId>,
    pub status: Option<SessionStatus>,
    pub agent_id: Option<AgentId>,
    pub after: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub chat_id: Option<ChatId>,
    pub session_id: Option<SessionId>,
    pub contact_id: Option<ContactId>,
    pub channel_id: Option<ChannelId>,
    pub direction: Option<Direction>,
    pub sent_after: Option<DateTime<Utc>>,
    pub sent_before: Option<DateTime<Utc>>,
}

/// Chats, sessions and messages as ingest left them: the conversation reads of the API.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    async fn list_chats(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Chat>>;
    async fn get_chat(&self, scope: Scope, id: ChatId) -> AppResult<Option<Chat>>;
    async fn list_participants(&self, scope: Scope, chat: ChatId) -> AppResult<Vec<Participant>>;
    async fn list_sessions(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Session>>;
    async fn get_session(&self, scope: Scope, id: SessionId) -> AppResult<Option<Session>>;
    async fn find_messages(
        &self,
        scope: Scope,
        f: &MessageFilter,
        page: PageRequest,
    ) -> AppResult<Page<Message>>;
    async fn get_message(&self, scope: Scope, id: MessageId) -> AppResult<Option<Message>>;
}
