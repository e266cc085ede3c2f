//! `POST /webhooks/waha/{channel_id}`: reads the body within its size limit, hands it to
//! `receive_webhook`, and maps the outcome.

use crate::AppState;
use crate::auth::correlation;
use crate::error::ApiError;
use crate::error::ErrorBody;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::header::CONTENT_LENGTH;
use serde_json::json;
use ventros_app::usecases::ingest::{ReceiveError, WebhookRequest, receive_webhook};

/// Receive a WAHA webhook
#[utoipa::path(post, path = "/webhooks/waha/{channel_id}", tag = "webhooks", params(("channel_id" = String, Path, description = "The channel id from `webhook_url`"), ("X-Webhook-Hmac" = Option<String>, Header, description = "Hex HMAC-SHA512 of the raw body, required when the channel has a webhook_hmac_key")), request_body(content = Object, description = "A WAHA webhook envelope, exactly as WAHA sends it", content_type = "application/json"), responses((status = 200, description = "Stored (processed, duplicate, ignored, unmatched or rejected)", body = Object), (status = 400, description = "Not JSON", body = ErrorBody), (status = 401, description = "Unknown channel or bad signature", body = ErrorBody), (status = 413, description = "Body too large", body = ErrorBody)))]
pub async fn receive(
    State(s): State<AppState>,
    Path(channel_id): Path<String>,
    req: Request,
) -> Result<Json<serde_json::Value>, ApiError> {
    let limit = s.webhook_max_bytes;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let (parts, body) = req.into_parts();
    let bytes = crate::extract::read_body(body, limit, s.body_read_timeout).await?;

    let correlation_id = correlation(&parts.headers);
    let req = WebhookRequest {
        channel_id: &channel_id,
        body: &bytes,
        signature: parts
            .headers
            .get("x-webhook-hmac")
            .and_then(|v| v.to_str().ok()),
        correlation_id: correlation_id.as_deref(),
    };
    let r = receive_webhook(s.store.as_ref(), s.decoder.as_ref(), s.clock.as_ref(), req)
        .await
        .map_err(|e| match e {
            ReceiveError::Unauthorized => ApiError::WebhookUnauthorized,
            ReceiveError::Malformed(m) => ApiError::BadJson(m),
            ReceiveError::App(e) => ApiError::App(e),
        })?;
    let (status, detail) = r.outcome.label();
    metrics::counter!(crate::metrics::WEBHOOK_DELIVERIES, "event" => event_label(&r.event_name), "outcome" => status).increment(1);
    tracing::info!(channel = %r.channel_id, event = event_label(&r.event_name), outcome = status, "webhook delivery");
    Ok(Json(json!({"status": status, "detail": detail})))
}

/// WAHA's webhook event names (recorded in `crates/testkit/fixtures/waha/`); anything else is counted as `other`, so a sender cannot
/// grow the metric's label set.
fn event_label(name: &str) -> &'static str {
    const KNOWN: [&str; 29] = [
        "session.status",
        "message",
        "message.any",
        "message.reaction",
        "message.ack",
        "message.ack.group",
        "message.waiting",
        "message.revoked",
        "message.edited",
        "group.v2.join",
        "group.v2.leave",
        "group.v2.update",
        "group.v2.participants",
        "presence.update",
        "poll.vote",
        "poll.vote.failed",
        "chat.archive",
        "call.received",
        "call.accepted",
        "call.rejected",
        "label.upsert",
        "label.deleted",
        "label.chat.added",
        "label.chat.deleted",
        "event.response",
        "event.response.failed",
        "engine.event",
        "group.join",
        "group.leave",
    ];
    KNOWN.into_iter().find(|k| *k == name).unwrap_or("other")
}
