use crate::error::{AppError, AppResult};
use crate::ports::{Clock, Store};
use ventros_domain::channel::{
    Channel, DEFAULT_DEBOUNCE_MS, DEFAULT_SESSION_TIMEOUT_S, ImportStrategy, validate_base_url,
    validate_debounce, validate_session_timeout,
};
use ventros_domain::event::{EventContext, EventEnvelope, EventType};
use ventros_domain::ids::ChannelId;
use ventros_domain::secret::Secret;
use ventros_domain::tenancy::{Scope, validate_name};

#[derive(Debug, Clone, Default)]
pub struct CreateChannel {
    pub name: String,
    pub waha_base_url: String,
    pub waha_api_key: String,
    pub waha_session: String,
    pub webhook_hmac_key: Option<String>,
    pub debounce_timeout_ms: Option<i64>,
    pub session_timeout_seconds: Option<i64>,
    pub import_strategy: Option<String>,
}

pub async fn create_channel(
    store: &dyn Store,
    clock: &dyn Clock,
    scope: Scope,
    ctx: &EventContext,
    cmd: CreateChannel,
) -> AppResult<Channel> {
    let now = clock.now();
    let session = cmd.waha_session.trim();
    if session.is_empty() || session.len() > 100 {
        return Err(AppError::validation(
            "waha.session",
            "must be 1 to 100 characters",
        ));
    }
    if cmd.waha_api_key.len() > 500 {
        return Err(AppError::validation(
            "waha.api_key",
            "must be at most 500 characters",
        ));
    }
    let hmac = cmd.webhook_hmac_key.filter(|k| !k.is_empty());
    if hmac.as_ref().is_some_and(|k| k.len() < 16 || k.len() > 500) {
        return Err(AppError::validation(
            "webhook_hmac_key",
            "must be 16 to 500 characters",
        ));
    }
    let channel = Channel {
        id: ChannelId::new(),
        tenant_id: scope.tenant_id,
        project_id: scope.project_id,
        name: validate_name("name", &cmd.name)?,
        waha_base_url: validate_base_url(&cmd.waha_base_url)?,
        waha_api_key: Secret::new(cmd.waha_api_key),
        waha_session: session.to_string(),
        webhook_hmac_key: hmac.map(Secret::new),
        status: "UNKNOWN".into(),
        debounce_timeout_ms: validate_debounce(
            cmd.debounce_timeout_ms.unwrap_or(DEFAULT_DEBOUNCE_MS),
        )?,
        session_timeout_seconds: validate_session_timeout(
            cmd.session_timeout_seconds
                .unwrap_or(DEFAULT_SESSION_TIMEOUT_S),
        )?,
        import_strategy: ImportStrategy::parse(cmd.import_strategy.as_deref().unwrap_or("none"))?,
        created_at: now,
        updated_at: now,
        deleted_at: None,
    };
    let event = EventEnvelope::new(
        ctx,
        scope.tenant_id,
        scope.project_id,
        EventType::ChannelCreated,
        channel.id.0,
        now,
        serde_json::json!({
            "channel_id": channel.id,
            "name": channel.name,
            "waha_session": channel.waha_session,
            "waha_base_url": channel.waha_base_url,
        }),
    );
    store.insert_channel(&channel, &event).await?;
    Ok(channel)
}
