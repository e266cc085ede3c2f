//! Channels: WhatsApp numbers behind WAHA sessions.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{
    ActivationOut, ChannelOut, ChannelStatusOut, CreateChannelIn, ListResponse, PageQuery,
    UpdateChannelIn, WebhookWrittenOut, webhook_url,
};
use crate::error::{ApiError, AuthErrors, BodyErrors, ErrorBody, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::page_of;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use ventros_app::usecases::channel_activation;
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::manage_channel::{self, ChannelPatch};
use ventros_domain::ids::ChannelId;

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
        confirm_timeout_seconds: b.confirm_timeout_seconds,
        max_messages_per_minute: b.max_messages_per_minute,
        human_pacing: b.human_pacing,
    };
    let c = create_channel(s.store.as_ref(), s.clock.as_ref(), &p, cmd).await?;
    let mut out = ChannelOut::new(c, &s.public_url);
    out.warnings.extend(s.public_url_warning.clone());
    Ok((StatusCode::CREATED, Json(out)))
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
        confirm_timeout_seconds: b.confirm_timeout_seconds,
        max_messages_per_minute: b.max_messages_per_minute,
        human_pacing: b.human_pacing,
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
/// Asks WAHA for the session's status now; when WAHA cannot be asked, says why and gives the
/// status it last reported by webhook.
#[utoipa::path(get, path = "/v1/channels/{id}/status", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, body = ChannelStatusOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn status(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChannelStatusOut>, ApiError> {
    let id = path_id(&id, "channel")?;
    let c = manage_channel::get_channel(s.store.as_ref(), &p, id.into()).await?;
    let asked = s.gateway.session(&channel_activation::target(&c)).await;
    let (status, live, error) = match asked {
        Ok(Some(session)) => (session.status, true, None),
        Ok(None) => (
            c.status.clone(),
            false,
            Some(format!("WAHA has no session named {:?}", c.waha_session)),
        ),
        Err(e) => (c.status.clone(), false, Some(e.to_string())),
    };
    Ok(Json(ChannelStatusOut {
        id: c.id,
        status,
        live,
        error,
        active: c.is_active(),
        reported_status: c.status,
        updated_at: c.updated_at,
    }))
}

/// Activate a channel
///
/// Checks the channel's WAHA session: WAHA reachable with the key, the session exists and is
/// `WORKING`, its webhooks post the events Ventros needs to this channel's `webhook_url`
/// (signed with the channel's key when it has one). All pass: the channel is active and can
/// send. Otherwise 422 `channel_not_ready` with the same checks in `details.checks`.
#[utoipa::path(post, path = "/v1/channels/{id}/activate", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, description = "Active", body = ActivationOut), (status = 422, description = "A check failed (`channel_not_ready`, `details.checks`)", body = ErrorBody), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn activate(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ActivationOut>, ApiError> {
    let id: ChannelId = path_id(&id, "channel")?.into();
    let url = webhook_url(&s.public_url, id);
    let a = channel_activation::activate_channel(
        s.store.as_ref(),
        s.gateway.as_ref(),
        s.clock.as_ref(),
        &p,
        id,
        &url,
    )
    .await?;
    Ok(Json(ActivationOut {
        status: "active",
        checks: a.checks,
        channel: ChannelOut::new(a.channel, &s.public_url),
    }))
}

/// Deactivate a channel
///
/// The channel stops sending (queued messages wait); its webhook keeps receiving.
#[utoipa::path(post, path = "/v1/channels/{id}/deactivate", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, body = ChannelOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn deactivate(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<ChannelOut>, ApiError> {
    let id = path_id(&id, "channel")?;
    let c =
        channel_activation::deactivate_channel(s.store.as_ref(), s.clock.as_ref(), &p, id.into())
            .await?;
    Ok(Json(ChannelOut::new(c, &s.public_url)))
}

/// Write the channel's webhook into WAHA
///
/// Adds (or replaces) this channel's webhook in the WAHA session's configuration: its
/// `webhook_url`, every event Ventros uses by WAHA's exact names, the channel's HMAC key when
/// it has one, WAHA's retries. The rest of the configuration and other webhooks stay. WAHA
/// restarts a running session to apply it.
#[utoipa::path(post, path = "/v1/channels/{id}/webhook", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, body = WebhookWrittenOut), (status = 422, description = "WAHA has no such session, or refused", body = ErrorBody), (status = 502, description = "WAHA could not be reached", body = ErrorBody), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn write_webhook(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<WebhookWrittenOut>, ApiError> {
    let id: ChannelId = path_id(&id, "channel")?.into();
    let url = webhook_url(&s.public_url, id);
    let webhook =
        channel_activation::write_webhook(s.store.as_ref(), s.gateway.as_ref(), &p, id, &url)
            .await?;
    Ok(Json(WebhookWrittenOut { webhook }))
}

/// The session's login QR code
///
/// The QR code (PNG) to scan with the phone while the session is `SCAN_QR_CODE`; 409
/// `session_not_scanning` otherwise.
#[utoipa::path(get, path = "/v1/channels/{id}/qr", tag = "channels", params(("id" = String, Path, description = "Channel id")), responses((status = 200, description = "The QR code", content_type = "image/png", body = Vec<u8>), (status = 409, description = "The session shows no QR code now", body = ErrorBody), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn qr(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let id = path_id(&id, "channel")?;
    let png =
        channel_activation::qr_code(s.store.as_ref(), s.gateway.as_ref(), &p, id.into()).await?;
    Ok(axum::response::IntoResponse::into_response((
        [(axum::http::header::CONTENT_TYPE, "image/png")],
        png,
    )))
}
