//! Channels: WhatsApp numbers behind WAHA sessions.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{
    ChannelOut, ChannelStatusOut, CreateChannelIn, ListResponse, PageQuery, UpdateChannelIn,
};
use crate::error::{ApiError, AuthErrors, BodyErrors, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::manage_channel::{self, ChannelPatch};

/// Register a channel
#[utoipa::path(post, path = "/v1/channels", tag = "channels", request_body = CreateChannelIn, responses((status = 201, description = "Channel registered", body = ChannelOut), AuthErrors, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateChannelIn>,
) -> Result<(StatusCode, Json<ChannelOut>), ApiError> {
    let cmd = CreateChannel {
        name: b.name,
        waha_base_url: b.waha.base_url,
        waha_api_key: b.waha.api_key,
        waha_session: b.waha.session,
        webhook_hmac_key: b.webhook_hmac_key,
        debounce_timeout_ms: b.debounce_timeout_ms,
        session_timeout_seconds: b.session_timeout_seconds,
        message_group_max_age_ms: b.message_group_max_age_ms,
        import_strategy: b.import_strategy,
    };
    let c = create_channel(s.store.as_ref(), s.clock.as_ref(), &p, cmd).await?;
    Ok((StatusCode::CREATED, Json(ChannelOut::new(c, &s.public_url))))
}

/// List channels
#[utoipa::path(get, path = "/v1/channels", tag = "channels", params(PageQuery), responses((status = 200, body = ListResponse<ChannelOut>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<ChannelOut>>, ApiError> {
    let pg = manage_channel::list_channels(s.store.as_ref(), &p, page_of(&q)?).await?;
    Ok(Json(ListResponse {
        data: pg
            .data
            .into_iter()
            .map(|c| ChannelOut::new(c, &s.public_url))
            .collect(),
        next_cursor: pg.next_cursor,
    }))
}

/// Get a channel
#[utoipa::path(get, path = "/v1/channels/{id}", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, body = ChannelOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChannelOut>, ApiError> {
    let id = path_id(&id, "channel")?;
    let c = manage_channel::get_channel(s.store.as_ref(), &p, id.into()).await?;
    Ok(Json(ChannelOut::new(c, &s.public_url)))
}

/// Update a channel
#[utoipa::path(patch, path = "/v1/channels/{id}", tag = "channels", params(("id" = String, Path, description = "Channel id")), request_body = UpdateChannelIn, responses((status = 200, body = ChannelOut), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateChannelIn>,
) -> Result<Json<ChannelOut>, ApiError> {
    let id = path_id(&id, "channel")?;
    let waha = b.waha;
    let patch = ChannelPatch {
        name: b.name,
        waha_base_url: waha.as_ref().and_then(|w| w.base_url.clone()),
        waha_api_key: waha.as_ref().and_then(|w| w.api_key.clone()),
        waha_session: waha.as_ref().and_then(|w| w.session.clone()),
        webhook_hmac_key: b.webhook_hmac_key,
        debounce_timeout_ms: b.debounce_timeout_ms,
        session_timeout_seconds: b.session_timeout_seconds,
        message_group_max_age_ms: b.message_group_max_age_ms,
        import_strategy: b.import_strategy,
    };
    let c =
        manage_channel::update_channel(s.store.as_ref(), s.clock.as_ref(), &p, id.into(), patch)
            .await?;
    Ok(Json(ChannelOut::new(c, &s.public_url)))
}

/// Delete a channel
///
/// Deletes the channel: WAHA deliveries to its webhook are refused; its chats, sessions and
/// messages stay readable.
#[utoipa::path(delete, path = "/v1/channels/{id}", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 204, description = "Deleted"), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = path_id(&id, "channel")?;
    manage_channel::delete_channel(s.store.as_ref(), s.clock.as_ref(), &p, id.into()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The channel's WAHA session status
///
/// The WAHA session status last reported for the channel.
#[utoipa::path(get, path = "/v1/channels/{id}/status", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, body = ChannelStatusOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn status(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChannelStatusOut>, ApiError> {
    let id = path_id(&id, "channel")?;
    let c = manage_channel::get_channel(s.store.as_ref(), &p, id.into()).await?;
    Ok(Json(ChannelStatusOut {
        id: c.id,
        status: c.status,
        updated_at: c.updated_at,
    }))
}
