use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::channel::Channel;
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{
    AgentId, ChannelId, ChatId, ContactId, MessageId, NoteId, PipelineId, SessionId, TenantId,
};
use ventros_domain::message::{Direction, Message};
use ventros_domain::note::Note;
use ventros_domain::phone::Phone;
use ventros_domain::session::{Session, SessionStatus};
use ventros_domain::tenancy::Scope;

/// Time-ordered lists can be read oldest or newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    CreatedAsc,
    CreatedDesc,
    UpdatedAsc,
    UpdatedDesc,
}

impl SortKey {
    pub fn parse(s: &str) -> Option<SortKey> {
        match s {
            "created_at" => Some(SortKey::CreatedAsc),
            "-created_at" => Some(SortKey::CreatedDesc),
            "updated_at" => Some(SortKey::UpdatedAsc),
            "-updated_at" => Some(SortKey::UpdatedDesc),
            _ => None,
        }
    }
    pub fn column(self) -> &'static str {
        match self {
            SortKey::CreatedAsc | SortKey::CreatedDesc => "created_at",
            SortKey::UpdatedAsc | SortKey::UpdatedDesc => "updated_at",
        }
    }
    pub fn descending(self) -> bool {
        matches!(self, SortKey::CreatedDesc | SortKey::UpdatedDesc)
    }
}

#[derive(Debug, Clone, Default)]
pub struct ContactFilter {
    pub phone: Option<Phone>,
    /// Substring of the name or the phone, case-insensitive.
    pub search: Option<String>,
    /// Contacts carrying any of these tags.
    pub tags: Vec<String>,
    pub pipeline_id: Option<PipelineId>,
    pub created_after: Option<DateTime<Utc>>,
    pub created_before: Option<DateTime<Utc>>,
    pub sort: SortKey,
}

impl ContactFilter {
    /// `LIKE` pattern (escape character `\`) matching the search anywhere in the name.
    pub fn name_pattern(&self) -> Option<String> {
        self.search
            .as_deref()
            .map(|s| format!("%{}%", escape_like(s.trim())))
    }

    /// `LIKE` pattern for the phone: the digits of the search when it looks like a number
    /// (`+55 11-9999` finds `+55119999…`), else the search itself.
    pub fn phone_pattern(&self) -> Option<String> {
        self.search.as_deref().map(|s| {
            let looks_numeric = s
                .chars()
                .all(|c| c.is_ascii_digit() || " +-().".contains(c));
            let digits: String = s.chars().filter(char::is_ascii_digit).collect();
            if looks_numeric && !digits.is_empty() {
                format!("%{digits}%")
            } else {
                format!("%{}%", escape_like(s.trim()))
            }
        })
    }
}

fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
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

#[derive(Debug, Clone, Default)]
pub struct NoteFilter {
    pub contact_id: Option<ContactId>,
    pub session_id: Option<SessionId>,
}

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

/// Contacts, notes, channels and the conversation reads behind the REST API.
#[async_trait]
pub trait CrmStore: Send + Sync {
    /// Inserts a contact; a soft-deleted contact with the same phone is replaced by it.
    async fn insert_contact(&self, c: &Contact, event: &EventEnvelope) -> AppResult<()>;
    /// Writes the editable fields of each contact, and the events, in one transaction.
    async fn save_contacts(&self, cs: &[Contact], events: &[EventEnvelope]) -> AppResult<()>;
    async fn delete_contact(
        &self,
        tenant: TenantId,
        id: ContactId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;
    async fn search_contacts(
        &self,
        tenant: TenantId,
        f: &ContactFilter,
        page: PageRequest,
    ) -> AppResult<Page<Contact>>;

    async fn insert_note(&self, n: &Note, event: &EventEnvelope) -> AppResult<()>;
    async fn get_note(&self, tenant: TenantId, id: NoteId) -> AppResult<Option<Note>>;
    async fn list_notes(
        &self,
        tenant: TenantId,
        f: &NoteFilter,
        page: PageRequest,
    ) -> AppResult<Page<Note>>;
    async fn delete_note(
        &self,
        tenant: TenantId,
        id: NoteId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;

    async fn list_channels(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Channel>>;
    async fn update_channel(&self, c: &Channel, events: &[EventEnvelope]) -> AppResult<()>;
    /// Soft-deletes the channel: its chats and messages stay readable.
    async fn delete_channel(
        &self,
        scope: Scope,
        id: ChannelId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;

    async fn find_messages(
        &self,
        scope: Scope,
        f: &MessageFilter,
        page: PageRequest,
    ) -> AppResult<Page<Message>>;
    async fn get_message(&self, scope: Scope, id: MessageId) -> AppResult<Option<Message>>;
    async fn get_session(&self, scope: Scope, id: SessionId) -> AppResult<Option<Session>>;
}
