//! The OpenAPI document's fixed parts; paths come from the handlers' annotations.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(title = "Ventros API", description = "WhatsApp-first conversational CRM. Authenticate with `Authorization: Bearer vtr_…`. Errors use one envelope: `{\"error\": {\"code\", \"message\", \"details\"}}`."),
    modifiers(&BearerAuth),
    tags(
        (name = "operations", description = "Health and readiness"),
        (name = "webhooks", description = "Inbound WAHA webhooks"),
        (name = "channels", description = "WhatsApp numbers behind WAHA sessions"),
        (name = "contacts", description = "Contacts and their timeline"),
        (name = "chats", description = "WhatsApp threads and their messages"),
        (name = "sessions", description = "Service episodes inside chats"),
        (name = "events", description = "The tenant's event feed"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("vtr_ API key")
                    .build(),
            ),
        );
    }
}
