mod channels;
mod conversations;
mod health;
mod webhooks;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

/// Every route of the API. The composition root adds tracing and request-id layers.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/webhooks/waha/{channel_id}", post(webhooks::receive))
        .route("/v1/channels", post(channels::create))
        .route("/v1/channels/{id}", get(channels::get))
        .route("/v1/contacts", get(conversations::list_contacts))
        .route("/v1/contacts/{id}", get(conversations::get_contact))
        .route(
            "/v1/contacts/{id}/events",
            get(conversations::contact_events),
        )
        .route("/v1/chats", get(conversations::list_chats))
        .route("/v1/chats/{id}", get(conversations::get_chat))
        .route("/v1/chats/{id}/messages", get(conversations::chat_messages))
        .route("/v1/sessions", get(conversations::list_sessions))
        .route("/v1/events", get(conversations::list_events))
        .fallback(health::not_found)
        .with_state(state)
}
