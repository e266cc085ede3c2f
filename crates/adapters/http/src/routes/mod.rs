mod channels;
mod conversations;
mod health;
mod webhooks;

use crate::AppState;
use crate::openapi::ApiDoc;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

/// Every API route, registered through `OpenApiRouter` so that a route cannot exist without
/// its OpenAPI entry. Returns the router and the generated spec.
pub fn api(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(webhooks::receive))
        .routes(routes!(channels::create))
        .routes(routes!(channels::get))
        .routes(routes!(conversations::list_contacts))
        .routes(routes!(conversations::get_contact))
        .routes(routes!(conversations::contact_events))
        .routes(routes!(conversations::list_chats))
        .routes(routes!(conversations::get_chat))
        .routes(routes!(conversations::chat_messages))
        .routes(routes!(conversations::list_sessions))
        .routes(routes!(conversations::list_events))
        .split_for_parts();
    let router = router
        .route_layer(axum::middleware::from_fn(crate::metrics::track))
        .fallback(health::not_found)
        .with_state(state);
    (router, spec)
}

/// The API plus `/openapi.json` and the Swagger UI at `/docs` (assets served by Ventros).
pub fn router(state: AppState) -> Router {
    let (api, spec) = api(state);
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", spec))
}
