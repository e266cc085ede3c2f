use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::channel::Channel;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::ChannelId;
use ventros_domain::secret::Secret;
use ventros_domain::tenancy::Scope;

/// What the webhook endpoint needs to know about a channel before it knows the tenant.
#[derive(Debug, Clone)]
pub struct WebhookChannel {
    pub scope: Scope,
    pub channel_id: ChannelId,
    pub hmac_key: Option<Secret>,
    /// Inactivity after which the channel's sessions end.
    pub session_timeout_seconds: i64,
    /// Quiet window that closes a message group.
    pub debounce_timeout_ms: i64,
    pub message_group_max_age_ms: i64,
}

/// WhatsApp channels (one WAHA session each).
#[async_trait]
pub trait ChannelStore: Send + Sync {
    async fn insert_channel(&self, c: &Channel, event: &EventEnvelope) -> AppResult<()>;
    async fn get_channel(&self, scope: Scope, id: ChannelId) -> AppResult<Option<Channel>>;
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
    /// Sets (or with `None` clears) the channel's activation, with the session status
    /// seen meanwhile when there is one; `false` when it is deleted or missing.
    async fn set_channel_activated(
        &self,
        scope: Scope,
        id: ChannelId,
        activated_at: Option<DateTime<Utc>>,
        status: Option<&str>,
        event: &EventEnvelope,
    ) -> AppResult<bool>;
    /// Looks up a live channel by id across tenants, for the inbound webhook.
    async fn webhook_channel(&self, id: ChannelId) -> AppResult<Option<WebhookChannel>>;
}
