//! Outbound webhook subscriptions (`webhooks:manage`): manage them, read their delivery log,
//! send a delivery again.

use crate::AppState;
use crate::auth::Principal;
use crate::dto::{ListResponse, PageQuery, double_option};
use crate::error::{ApiError, AuthErrors, BodyErrors, InputErrors, NotFoundError};
use crate::extract::{ApiJson, ApiQuery, path_id};
use crate::routes::common::{page, page_of};
use crate::shown_once::ShownOnce;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use ventros_app::ports::DeliveryFilter;
use ventros_app::usecases::webhook_delivery;
use ventros_app::usecases::webhooks::{self, NewSubscription, SubscriptionPatch};
use ventros_domain::ids::EventId;
use ventros_domain::webhook::{Attempt, Delivery, DeliveryStatus, Subscription};

/// A webhook subscription (its secret is shown only when created or rotated).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookOut {
    pub id: Uuid,
    pub url: String,
    /// Exact event types and `prefix.*` patterns.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why Ventros disabled it: `gone` (the endpoint answered 410) or `failing` (every
    /// delivery failed for `VENTROS_WEBHOOK_DISABLE_AFTER_HOURS`).
    pub disabled_reason: Option<String>,
    /// Since when every delivery has failed, if they do.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still signs too.
    pub previous_secret_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&Subscription> for WebhookOut {
    fn from(s: &Subscription) -> Self {
        WebhookOut {
            id: s.id,
            url: s.url.clone(),
            events: s.events.clone(),
            description: s.description.clone(),
            enabled: s.enabled,
            disabled_reason: s.disabled_reason.clone(),
            failing_since: s.failing_since,
            previous_secret_until: s.previous_secret_until,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A subscription with its signing secret, shown in this response only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookSecretOut {
    #[serde(flatten)]
    pub webhook: WebhookOut,
    /// `whsec_` + base64: verify deliveries with any Standard Webhooks library.
    pub secret: String,
}

impl From<&Subscription> for WebhookSecretOut {
    fn from(s: &Subscription) -> Self {
        WebhookSecretOut {
            webhook: s.into(),
            secret: s.secret.expose().to_string(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhookIn {
    /// `https://…` (or `http://` when `VENTROS_WEBHOOK_ALLOW_HTTP=true`).
    pub url: String,
    /// Exact event types (`session.ended`) and `prefix.*` (`message.*`); `*` is every type.
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// Fields to change; `description: null` clears it; `enabled: true` also clears a
/// disabled reason and the failure count.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhookIn {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookTestOut {
    /// The `webhook.test` event: its id is the delivery's `webhook-id`.
    pub event_id: EventId,
}

/// A delivery with its attempts, oldest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryOut {
    #[serde(flatten)]
    pub delivery: Delivery,
    pub attempt_log: Vec<Attempt>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveriesQuery {
    #[param(inline)]
    status: Option<DeliveryStatus>,
    /// An exact event type.
    event_type: Option<String>,
    /// Events that happened at or after this time.
    since: Option<DateTime<Utc>>,
    /// Events that happened before this time.
    until: Option<DateTime<Utc>>,
    /// 1 to 200, default 50.
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    cursor: Option<String>,
}

fn id_of(raw: &str) -> Result<Uuid, ApiError> {
    path_id(raw, "webhook")
}

/// Subscribe a URL to events
#[utoipa::path(post, path = "/v1/webhooks", tag = "outbound_webhooks", request_body = CreateWebhookIn, responses((status = 201, description = "Created; `secret` is shown only here", body = WebhookSecretOut), AuthErrors, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn create(
    State(s): State<AppState>,
    p: Principal,
    ApiJson(b): ApiJson<CreateWebhookIn>,
) -> Result<(StatusCode, ShownOnce, Json<WebhookSecretOut>), ApiError> {
    let w = webhooks::create_subscription(
        s.store.as_ref(),
        s.webhooks.as_ref(),
        s.clock.as_ref(),
        &p,
        s.webhook_policy,
        NewSubscription {
            url: b.url,
            events: b.events,
            description: b.description,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ShownOnce::new(w.id, "webhook"),
        Json((&w).into()),
    ))
}

/// List webhook subscriptions
#[utoipa::path(get, path = "/v1/webhooks", tag = "outbound_webhooks", params(PageQuery), responses((status = 200, body = ListResponse<WebhookOut>), AuthErrors, InputErrors), security(("bearer" = [])))]
pub async fn list(
    State(s): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> Result<Json<ListResponse<WebhookOut>>, ApiError> {
    let pg = webhooks::list_subscriptions(s.store.as_ref(), &p, page_of(&q)?).await?;
    Ok(Json(ListResponse {
        data: pg.data.iter().map(WebhookOut::from).collect(),
        next_cursor: pg.next_cursor,
    }))
}

/// Get a webhook subscription
#[utoipa::path(get, path = "/v1/webhooks/{id}", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id")), responses((status = 200, body = WebhookOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn get(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<Json<WebhookOut>, ApiError> {
    let w = webhooks::get_subscription(s.store.as_ref(), &p, id_of(&id)?).await?;
    Ok(Json((&w).into()))
}

/// Change a webhook subscription
#[utoipa::path(patch, path = "/v1/webhooks/{id}", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id")), request_body = UpdateWebhookIn, responses((status = 200, body = WebhookOut), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn update(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<UpdateWebhookIn>,
) -> Result<Json<WebhookOut>, ApiError> {
    let w = webhooks::update_subscription(
        s.store.as_ref(),
        s.webhooks.as_ref(),
        s.clock.as_ref(),
        &p,
        s.webhook_policy,
        id_of(&id)?,
        SubscriptionPatch {
            url: b.url,
            events: b.events,
            description: b.description,
            enabled: b.enabled,
        },
    )
    .await?;
    Ok(Json((&w).into()))
}

/// Delete a webhook subscription
///
/// Its deliveries stay in the log; those still pending are given up.
#[utoipa::path(delete, path = "/v1/webhooks/{id}", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id")), responses((status = 204, description = "Deleted"), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn delete(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    webhooks::delete_subscription(s.store.as_ref(), s.clock.as_ref(), &p, id_of(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate the signing secret
///
/// The old secret keeps signing beside the new one for 24 hours: two signatures in
/// `webhook-signature`, as Standard Webhooks allows.
#[utoipa::path(post, path = "/v1/webhooks/{id}/rotate-secret", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id")), responses((status = 200, description = "The new `secret`, shown only here", body = WebhookSecretOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn rotate_secret(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<(ShownOnce, Json<WebhookSecretOut>), ApiError> {
    let w = webhooks::rotate_secret(s.store.as_ref(), s.clock.as_ref(), &p, id_of(&id)?).await?;
    Ok((ShownOnce::new(w.id, "webhook secret"), Json((&w).into())))
}

/// Send a test event to this subscription
///
/// A `webhook.test` event that only this subscription receives, also while disabled.
#[utoipa::path(post, path = "/v1/webhooks/{id}/test", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id")), responses((status = 202, description = "The event is on its way", body = WebhookTestOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn test(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<WebhookTestOut>), ApiError> {
    let e = webhooks::send_test(s.store.as_ref(), s.clock.as_ref(), &p, id_of(&id)?).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(WebhookTestOut { event_id: e.id }),
    ))
}

/// A subscription's delivery log, newest event first
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id"), DeliveriesQuery), responses((status = 200, body = ListResponse<Delivery>), AuthErrors, NotFoundError, InputErrors), security(("bearer" = [])))]
pub async fn deliveries(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeliveriesQuery>,
) -> Result<Json<ListResponse<Delivery>>, ApiError> {
    let f = DeliveryFilter {
        status: q.status,
        event_type: q.event_type,
        since: q.since,
        until: q.until,
    };
    let pg = page(q.limit, q.cursor.as_deref())?;
    let v = webhook_delivery::list_deliveries(s.store.as_ref(), &p, id_of(&id)?, &f, pg).await?;
    Ok(Json(v.into()))
}

/// One delivery with every attempt
#[utoipa::path(get, path = "/v1/webhooks/{id}/deliveries/{delivery_id}", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id"), ("delivery_id" = String, Path, description = "Delivery id")), responses((status = 200, body = DeliveryOut), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn delivery(
    State(s): State<AppState>,
    p: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<Json<DeliveryOut>, ApiError> {
    let (delivery, attempt_log) = webhook_delivery::get_delivery(
        s.store.as_ref(),
        &p,
        id_of(&id)?,
        path_id(&delivery_id, "delivery")?,
    )
    .await?;
    Ok(Json(DeliveryOut {
        delivery,
        attempt_log,
    }))
}

/// Send a delivery again now, with its original event id
#[utoipa::path(post, path = "/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id"), ("delivery_id" = String, Path, description = "Delivery id")), responses((status = 202, description = "Queued again", body = Delivery), AuthErrors, NotFoundError), security(("bearer" = [])))]
pub async fn retry(
    State(s): State<AppState>,
    p: Principal,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    let d = webhook_delivery::retry_delivery(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        id_of(&id)?,
        path_id(&delivery_id, "delivery")?,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayIn {
    /// Events that happened at or after this time.
    pub since: DateTime<Utc>,
    /// Events that happened before this time (default: now).
    pub until: Option<DateTime<Utc>>,
    /// Only these types (exact or `prefix.*`), among those the subscription wants.
    pub events: Option<Vec<String>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReplayOut {
    /// Deliveries queued again (or made, for events it had none of).
    pub queued: u64,
}

/// Send a range of events again
///
/// With their original event ids (`webhook-id`), at most 10,000 events per call.
#[utoipa::path(post, path = "/v1/webhooks/{id}/replay", tag = "outbound_webhooks", params(("id" = String, Path, description = "Webhook id")), request_body = ReplayIn, responses((status = 202, description = "Queued", body = ReplayOut), AuthErrors, NotFoundError, InputErrors, BodyErrors), security(("bearer" = [])))]
pub async fn replay(
    State(s): State<AppState>,
    p: Principal,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReplayIn>,
) -> Result<(StatusCode, Json<ReplayOut>), ApiError> {
    let queued = webhook_delivery::replay(
        s.store.as_ref(),
        s.clock.as_ref(),
        &p,
        id_of(&id)?,
        b.since,
        b.until,
        b.events,
    )
    .await?;
    Ok((StatusCode::ACCEPTED, Json(ReplayOut { queued })))
}
