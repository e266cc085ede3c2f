use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ContactId, NoteId, PipelineId, SessionId, TenantId};
use ventros_domain::note::Note;
use ventros_domain::phone::Phone;
use ventros_domain::tenancy::Scope;
use ventros_domain::timeline::ContactEvent;

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
pub struct NoteFilter {
    pub contact_id: Option<ContactId>,
    pub session_id: Option<SessionId>,
}

#[derive(Debug, Clone, Default)]
pub struct ContactEventFilter {
    pub event_type: Option<String>,
    pub category: Option<String>,
}

/// Contacts, their notes and their timeline.
#[async_trait]
pub trait CrmStore: Send + Sync {
    async fn get_contact(&self, scope: Scope, id: ContactId) -> AppResult<Option<Contact>>;
    /// Inserts a contact; a soft-deleted contact with the same phone is replaced by it.
    async fn insert_contact(&self, c: &Contact, event: &EventEnvelope) -> AppResult<()>;
    /// Writes the editable fields of each contact, and the events, in one transaction.
    async fn save_contacts(&self, cs: &[Contact], events: &[EventEnvelope]) -> AppResult<()>;
    /// Merges `merged` (the same person, first seen by its LID) into `survivor`: writes the
    /// survivor as given, moves chats, sessions, messages, notes, timeline and picture to
    /// it, soft-deletes `merged` pointing at the survivor, and appends the events, in one
    /// transaction. `false` when `merged` was gone already.
    async fn merge_contacts(
        &self,
        survivor: &Contact,
        merged: ContactId,
        events: &[EventEnvelope],
    ) -> AppResult<bool>;
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
    /// Notes belong to the project they were written in.
    async fn get_note(&self, scope: Scope, id: NoteId) -> AppResult<Option<Note>>;
    async fn list_notes(
        &self,
        scope: Scope,
        f: &NoteFilter,
        page: PageRequest,
    ) -> AppResult<Page<Note>>;
    async fn delete_note(
        &self,
        scope: Scope,
        id: NoteId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;

    /// The contact's timeline entries that arose in `scope`'s project.
    async fn list_contact_events(
        &self,
        scope: Scope,
        contact: ContactId,
        f: &ContactEventFilter,
        page: PageRequest,
    ) -> AppResult<Page<ContactEvent>>;
}
