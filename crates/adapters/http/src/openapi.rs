//! The OpenAPI document's fixed parts; paths come from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Ventros API", description = "WhatsApp-first conversational CRM. Authenticate with `Authorization: Bearer <API key or access token>` (API keys start with `vtr_`; access tokens come from `POST /v1/auth/login`). Errors use one envelope: `{\"error\": {\"code\", \"message\", \"details\"}}`. Lists use cursor pagination (`limit` 1–200, default 50; pass `next_cursor` back as `cursor`). POSTs honour `Idempotency-Key`."),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "auth", description = "Login and the caller's identity"),
        (name = "users", description = "Users of the tenant"),
        (name = "api_keys", description = "API keys (shown once, listed by prefix)"),
        (name = "projects", description = "Projects inside the tenant"),
        (name = "agents", description = "Human, bot and system agents"),
        (name = "pipelines", description = "Pipelines of the project; a pipeline may override the session timeout"),
        (name = "notes", description = "Notes on contacts and sessions"),
        (name = "messages", description = "Messages across chats"),
        (name = "webhooks", description = "Inbound WAHA webhooks"),
        (name = "outbound_webhooks", description = "Signed webhooks to integrators (Standard Webhooks): subscriptions, the delivery log, retries"),
        (name = "channels", description = "WhatsApp numbers behind WAHA sessions"),
        (name = "contacts", description = "Contacts and their timeline"),
        (name = "chats", description = "WhatsApp threads and their messages"),
        (name = "sessions", description = "Service episodes inside chats"),
        (name = "events", description = "The tenant's event feed"),
        (name = "jobs", description = "Durable jobs and timers; dead letters and retries"),
        (name = "reports", description = "Session metrics: aggregates with percentiles, CSV, live counts"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("API key (vtr_…) or JWT access token")
                    .build(),
            ),
        );
    }
}
