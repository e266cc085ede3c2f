use crate::AppState;
use crate::auth::Principal;
use crate::dto::{ChannelOut, CreateChannelIn};
use crate::error::ApiError;
use crate::extract::{ApiJson, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::read_models;

pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateChannelIn>,
) -> Result<(StatusCode, Json<ChannelOut>), ApiError> {
    p.require_admin("create channels")?;
    let cmd = CreateChannel {
        name: b.name,
        waha_base_url: b.waha.base_url,
        waha_api_key: b.waha.api_key,
        waha_session: b.waha.session,
        webhook_hmac_key: b.webhook_hmac_key,
        debounce_timeout_ms: b.debounce_timeout_ms,
        session_timeout_seconds: b.session_timeout_seconds,
        import_strategy: b.import_strategy,
    };
    let c = create_channel(s.store.as_ref(), s.clock.as_ref(), p.scope, &p.ctx, cmd).await?;
    s.relay_wake.notify_one();
    Ok((StatusCode::CREATED, Json(ChannelOut::new(c, &s.public_url))))
}

pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChannelOut>, ApiError> {
    let id = path_id(&id, "channel")?;
    let c = read_models::get_channel(s.store.as_ref(), p.scope, id.into()).await?;
    Ok(Json(ChannelOut::new(c, &s.public_url)))
}
