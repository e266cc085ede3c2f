use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{ChannelStore, Clock};
use ventros_domain::channel::{
    Channel, DEFAULT_CONFIRM_TIMEOUT_S, DEFAULT_DEBOUNCE_MS, DEFAULT_MAX_MESSAGES_PER_MINUTE,
    DEFAULT_SESSION_TIMEOUT_S, ImportStrategy, validate_base_url, validate_confirm_timeout,
    validate_debounce, validate_max_per_minute, validate_session_timeout,
};
use ventros_domain::event::EventType;
use ventros_domain::ids::ChannelId;
use ventros_domain::rbac::Permission;
use ventros_domain::secret::Secret;
use ventros_domain::tenancy::validate_name;

#[derive(Debug, Clone, Default)]
pub struct CreateChannel {
    pub name: String,
    pub waha_base_url: String,
    pub waha_api_key: String,
    pub waha_session: String,
    pub webhook_hmac_key: Option<String>,
    pub debounce_timeout_ms: Option<i64>,
    pub session_timeout_seconds: Option<i64>,
    pub message_group_max_age_ms: Option<i64>,
    pub import_strategy: Option<String>,
    pub confirm_timeout_seconds: Option<i64>,
    pub max_messages_per_minute: Option<i64>,
    pub human_pacing: Option<bool>,
}

pub async fn create_channel(
    store: &dyn ChannelStore,
    clock: &dyn Clock,
    actor: &Actor,
    cmd: CreateChannel,
) -> AppResult<Channel> {
    actor.require(Permission::ChannelsManage)?;
    let scope = actor.scope;
    let now = clock.now();
    let session = validate_session(&cmd.waha_session)?;
    validate_api_key(&cmd.waha_api_key)?;
    let hmac = validate_hmac_key(cmd.webhook_hmac_key)?;
    let channel = Channel {
        id: ChannelId::new(),
        tenant_id: scope.tenant_id,
        project_id: scope.project_id,
        name: validate_name("name", &cmd.name)?,
        waha_base_url: validate_base_url(&cmd.waha_base_url)?,
        waha_api_key: Secret::new(cmd.waha_api_key),
        waha_session: session,
        webhook_hmac_key: hmac.map(Secret::new),
        status: "UNKNOWN".into(),
        debounce_timeout_ms: validate_debounce(
            cmd.debounce_timeout_ms.unwrap_or(DEFAULT_DEBOUNCE_MS),
        )?,
        session_timeout_seconds: validate_session_timeout(
            cmd.session_timeout_seconds
                .unwrap_or(DEFAULT_SESSION_TIMEOUT_S),
        )?,
        message_group_max_age_ms: ventros_domain::message_group::validate_max_age(
            cmd.message_group_max_age_ms
                .unwrap_or(ventros_domain::message_group::DEFAULT_MAX_AGE_MS),
        )?,
        import_strategy: ImportStrategy::parse(cmd.import_strategy.as_deref().unwrap_or("none"))?,
        activated_at: None,
        confirm_timeout_seconds: validate_confirm_timeout(
            cmd.confirm_timeout_seconds
                .unwrap_or(DEFAULT_CONFIRM_TIMEOUT_S),
        )?,
        max_messages_per_minute: validate_max_per_minute(
            cmd.max_messages_per_minute
                .unwrap_or(DEFAULT_MAX_MESSAGES_PER_MINUTE),
        )?,
        human_pacing: cmd.human_pacing.unwrap_or(false),
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let event = actor.event(
        EventType::ChannelCreated,
        channel.id.0,
        now,
        channel_payload(&channel),
    );
    store.insert_channel(&channel, &event).await?;
    Ok(channel)
}

pub(crate) fn channel_payload(c: &Channel) -> serde_json::Value {
    serde_json::json!({
        "channel_id": c.id,
        "name": c.name,
        "waha_session": c.waha_session,
        "waha_base_url": c.waha_base_url,
        "debounce_timeout_ms": c.debounce_timeout_ms,
        "session_timeout_seconds": c.session_timeout_seconds,
        "message_group_max_age_ms": c.message_group_max_age_ms,
        "confirm_timeout_seconds": c.confirm_timeout_seconds,
        "max_messages_per_minute": c.max_messages_per_minute,
        "human_pacing": c.human_pacing,
        "active": c.is_active(),
    })
}

pub(crate) fn validate_session(s: &str) -> AppResult<String> {
    let s = s.trim();
    if s.is_empty() || s.len() > 100 {
        return Err(AppError::validation(
            "waha.session",
            "must be 1 to 100 characters",
        ));
    }
    Ok(s.to_string())
}

pub(crate) fn validate_api_key(k: &str) -> AppResult<()> {
    if k.len() > 500 {
        return Err(AppError::validation(
            "waha.api_key",
            "must be at most 500 characters",
        ));
    }
    Ok(())
}

/// An empty key means "unsigned"; otherwise 16 to 500 characters.
pub(crate) fn validate_hmac_key(k: Option<String>) -> AppResult<Option<String>> {
    let k = k.filter(|k| !k.is_empty());
    if k.as_ref().is_some_and(|k| k.len() < 16 || k.len() > 500) {
        return Err(AppError::validation(
            "webhook_hmac_key",
            "must be 16 to 500 characters",
        ));
    }
    Ok(k)
}
