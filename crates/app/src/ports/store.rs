use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use crate::ports::access_store::AccessStore;
use crate::ports::crm_store::{ConversationFilter, CrmStore};
use crate::ports::events::OutboxRow;
use crate::ports::ingest_tx::IngestTx;
use crate::ports::job_store::JobStore;
use crate::ports::message_group_store::MessageGroupStore;
use crate::ports::metrics_store::MetricsStore;
use crate::ports::pipeline_store::PipelineStore;
use crate::ports::session_store::SessionStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::channel::Channel;
use ventros_domain::chat::{Chat, Participant};
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, ChatId, ContactId, EventId};
use ventros_domain::session::Session;
use ventros_domain::tenancy::{ApiKey, Project, Role, Scope, Tenant, User};
use ventros_domain::timeline::ContactEvent;

/// A new tenant with its first project, admin and API key, written in one transaction.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub tenant: Tenant,
    pub project: Project,
    pub admin: User,
    pub api_key: ApiKey,
    pub event: EventEnvelope,
}

/// Who an API key speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyPrincipal {
    pub scope: Scope,
    pub role: Role,
    pub key_id: ventros_domain::ids::ApiKeyId,
}

/// What the webhook endpoint needs to know about a channel before it knows the tenant.
#[derive(Debug, Clone)]
pub struct WebhookChannel {
    pub scope: Scope,
    pub channel_id: ChannelId,
    pub hmac_key: Option<ventros_domain::secret::Secret>,
    /// Inactivity after which the channel's sessions end.
    pub session_timeout_seconds: i64,
    /// Quiet window that closes a message group.
    pub debounce_timeout_ms: i64,
    pub message_group_max_age_ms: i64,
}

#[derive(Debug, Clone, Default)]
pub struct ContactEventFilter {
    pub event_type: Option<String>,
    pub category: Option<String>,
}

/// Everything Ventros keeps. Every call that reads or writes tenant data takes its scope,
/// and a row of another tenant is never returned (it looks missing).
#[async_trait]
pub trait Store:
    AccessStore
    + CrmStore
    + JobStore
    + SessionStore
    + MetricsStore
    + MessageGroupStore
    + PipelineStore
    + Send
    + Sync
{
    /// Which backend this is (`sqlite`, `postgres`).
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> AppResult<()>;
    /// Connections open and idle in the pool(s), for `/metrics`.
    fn pool_state(&self) -> (u32, usize);

    async fn create_tenant(&self, t: &NewTenant) -> AppResult<()>;
    /// Looks up an unrevoked API key by hash, across tenants.
    async fn find_api_key(&self, key_hash: &str) -> AppResult<Option<ApiKeyPrincipal>>;

    async fn insert_channel(&self, c: &Channel, event: &EventEnvelope) -> AppResult<()>;
    async fn get_channel(&self, scope: Scope, id: ChannelId) -> AppResult<Option<Channel>>;
    /// Looks up a live channel by id across tenants, for the inbound webhook.
    async fn webhook_channel(&self, id: ChannelId) -> AppResult<Option<WebhookChannel>>;

    async fn begin_ingest(&self, scope: Scope) -> AppResult<Box<dyn IngestTx>>;

    async fn get_contact(&self, scope: Scope, id: ContactId) -> AppResult<Option<Contact>>;
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
    async fn list_contact_events(
        &self,
        scope: Scope,
        contact: ContactId,
        f: &ContactEventFilter,
        page: PageRequest,
    ) -> AppResult<Page<ContactEvent>>;
    /// Events of the scope in outbox order, for the event feed and tests.
    async fn list_events(&self, scope: Scope, page: PageRequest) -> AppResult<Page<EventEnvelope>>;

    /// Claims up to `limit` unpublished outbox rows (any tenant) whose lease has expired,
    /// leasing them until `lease_until`. Oldest first.
    async fn claim_outbox(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<OutboxRow>>;
    async fn mark_published(&self, seqs: &[i64], now: DateTime<Utc>) -> AppResult<()>;
    /// Counts unpublished rows and the age of the oldest, for `/metrics` and `/ready`.
    async fn outbox_backlog(&self) -> AppResult<(i64, Option<DateTime<Utc>>)>;

    /// Writes a timeline entry for `consumer` unless (event, consumer) was handled before;
    /// `false` when it was. Marks the event handled even when `entry` is `None`.
    async fn apply_timeline(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        entry: Option<&ContactEvent>,
    ) -> AppResult<bool>;
    /// Whether `consumer` has handled `event`.
    async fn consumer_handled(&self, consumer: &str, event: EventId) -> AppResult<bool>;
}
