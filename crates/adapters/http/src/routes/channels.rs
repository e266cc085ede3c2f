use crate::AppState;
use crate::auth::Principal;
use crate::dto::{ChannelOut, CreateChannelIn};
use crate::error::ApiError;
use crate::error::ErrorBody;
use crate::extract::{ApiJson, path_id};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::read_models;

#[utoipa::path(post, path = "/v1/channels", tag = "channels", request_body = CreateChannelIn, responses((status = 201, description = "Channel registered", body = ChannelOut), (status = 400, description = "Malformed JSON", body = ErrorBody), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 403, description = "Only admins create channels", body = ErrorBody), (status = 422, description = "Invalid input", body = ErrorBody)), security(("api_key" = [])))]
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

#[utoipa::path(get, path = "/v1/channels/{id}", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, body = ChannelOut), (status = 401, description = "Missing or unknown API key", body = ErrorBody), (status = 404, description = "Not found in your tenant", body = ErrorBody)), security(("api_key" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChannelOut>, ApiError> {
    let id = path_id(&id, "channel")?;
    let c = read_models::get_channel(s.store.as_ref(), p.scope, id.into()).await?;
    Ok(Json(ChannelOut::new(c, &s.public_url)))
}
