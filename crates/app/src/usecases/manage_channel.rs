//! Channels after creation: list, update, delete (history stays), connection status.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{ChannelStore, Clock};
use crate::usecases::create_channel::{
    channel_payload, validate_api_key, validate_hmac_key, validate_session,
};
use serde_json::json;
use ventros_domain::channel::{
    Channel, ImportStrategy, validate_base_url, validate_confirm_timeout, validate_debounce,
    validate_max_per_minute, validate_session_timeout,
};
use ventros_domain::event::EventType;
use ventros_domain::ids::ChannelId;
use ventros_domain::rbac::Permission;
use ventros_domain::secret::Secret;
use ventros_domain::tenancy::validate_name;

/// Fields to change; `webhook_hmac_key: Some(None)` turns signature checks off.
#[derive(Debug, Clone, Default)]
pub struct ChannelPatch {
    pub name: Option<String>,
    pub waha_base_url: Option<String>,
    pub waha_api_key: Option<String>,
    pub waha_session: Option<String>,
    pub webhook_hmac_key: Option<Option<String>>,
    pub debounce_timeout_ms: Option<i64>,
    pub session_timeout_seconds: Option<i64>,
    pub message_group_max_age_ms: Option<i64>,
    pub import_strategy: Option<String>,
    pub confirm_timeout_seconds: Option<i64>,
    pub max_messages_per_minute: Option<i64>,
    pub human_pacing: Option<bool>,
}

pub async fn get_channel(
    store: &dyn ChannelStore,
    actor: &Actor,
    id: ChannelId,
) -> AppResult<Channel> {
    actor.require(Permission::ChannelsRead)?;
    store
        .get_channel(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("channel"))
}

pub async fn list_channels(
    store: &dyn ChannelStore,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<Channel>> {
    actor.require(Permission::ChannelsRead)?;
    store.list_channels(actor.scope, page).await
}

pub async fn update_channel(
    store: &dyn ChannelStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: ChannelId,
    p: ChannelPatch,
) -> AppResult<Channel> {
    actor.require(Permission::ChannelsManage)?;
    let mut c = get_channel(store, actor, id).await?;
    let mut changed: Vec<&str> = Vec::new();
    if let Some(v) = p.name {
        c.name = validate_name("name", &v)?;
        changed.push("name");
    }
    if let Some(v) = p.waha_base_url {
        c.waha_base_url = validate_base_url(&v)?;
        changed.push("waha.base_url");
    }
    if let Some(v) = p.waha_api_key {
        validate_api_key(&v)?;
        c.waha_api_key = Secret::new(v);
        changed.push("waha.api_key");
    }
    if let Some(v) = p.waha_session {
        c.waha_session = validate_session(&v)?;
        changed.push("waha.session");
    }
    if let Some(v) = p.webhook_hmac_key {
        c.webhook_hmac_key = validate_hmac_key(v)?.map(Secret::new);
        changed.push("webhook_hmac_key");
    }
    if let Some(v) = p.debounce_timeout_ms {
        c.debounce_timeout_ms = validate_debounce(v)?;
        changed.push("debounce_timeout_ms");
    }
    if let Some(v) = p.session_timeout_seconds {
        c.session_timeout_seconds = validate_session_timeout(v)?;
        changed.push("session_timeout_seconds");
    }
    if let Some(v) = p.message_group_max_age_ms {
        c.message_group_max_age_ms = ventros_domain::message_group::validate_max_age(v)?;
        changed.push("message_group_max_age_ms");
    }
    if let Some(v) = p.import_strategy {
        c.import_strategy = ImportStrategy::parse(&v)?;
        changed.push("import_strategy");
    }
    if let Some(v) = p.confirm_timeout_seconds {
        c.confirm_timeout_seconds = validate_confirm_timeout(v)?;
        changed.push("confirm_timeout_seconds");
    }
    if let Some(v) = p.max_messages_per_minute {
        c.max_messages_per_minute = validate_max_per_minute(v)?;
        changed.push("max_messages_per_minute");
    }
    if let Some(v) = p.human_pacing {
        c.human_pacing = v;
        changed.push("human_pacing");
    }
    if changed.is_empty() {
        return Ok(c);
    }
    let now = clock.now();
    c.updated_at = now;
    let mut payload = channel_payload(&c);
    payload["changed"] = json!(changed);
    let event = actor.event(EventType::ChannelUpdated, c.id.0, now, payload);
    store.update_channel(&c, &[event]).await?;
    Ok(c)
}

/// Deletes a channel: its webhook stops accepting deliveries; chats and messages stay.
pub async fn delete_channel(
    store: &dyn ChannelStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: ChannelId,
) -> AppResult<()> {
    actor.require(Permission::ChannelsManage)?;
    let now = clock.now();
    let event = actor.event(
        EventType::ChannelDeleted,
        id.0,
        now,
        json!({"channel_id": id}),
    );
    if store.delete_channel(actor.scope, id, now, &event).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("channel"))
    }
}
