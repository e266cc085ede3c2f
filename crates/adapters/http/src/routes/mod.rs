mod agents;
mod api_keys;
mod auth;
mod channels;
mod common;
mod contacts;
mod conversations;
mod health;
mod jobs;
mod media;
mod message_groups;
mod notes;
mod pipelines;
mod projects;
mod reports;
mod sending;
mod session_actions;
mod users;
mod webhook_subscriptions;
mod webhooks;

pub(crate) use health::render_metrics;

use crate::AppState;
use crate::openapi::ApiDoc;
use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

/// Every API route, registered through `OpenApiRouter` so that a route cannot exist without
/// its OpenAPI entry. Returns the router and the generated spec.
///
/// Layers, outermost first: correlation id echo, metrics, authentication (resolves the
/// caller), rate limit per caller, `Idempotency-Key` on POST.
pub fn api(state: AppState) -> (Router, utoipa::openapi::OpenApi) {
    let (router, spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(health::metrics))
        .routes(routes!(webhooks::receive))
        .routes(routes!(auth::login))
        .routes(routes!(auth::me))
        .routes(routes!(users::create, users::list))
        .routes(routes!(users::get))
        .routes(routes!(users::disable))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(projects::create, projects::list))
        .routes(routes!(projects::get))
        .routes(routes!(agents::create, agents::list))
        .routes(routes!(agents::get, agents::update))
        .routes(routes!(pipelines::create, pipelines::list))
        .routes(routes!(pipelines::get, pipelines::update))
        .routes(routes!(channels::create, channels::list))
        .routes(routes!(channels::get, channels::update, channels::delete))
        .routes(routes!(channels::status))
        .routes(routes!(channels::activate))
        .routes(routes!(channels::deactivate))
        .routes(routes!(channels::write_webhook))
        .routes(routes!(channels::qr))
        .routes(routes!(contacts::create, contacts::list))
        .routes(routes!(contacts::bulk_tags))
        .routes(routes!(contacts::get, contacts::update, contacts::delete))
        .routes(routes!(contacts::timeline))
        .routes(routes!(contacts::messages, sending::send_to_contact))
        .routes(routes!(contacts::add_note, contacts::list_notes))
        .routes(routes!(notes::add_to_session, notes::list_for_session))
        .routes(routes!(notes::delete))
        .routes(routes!(conversations::list_chats))
        .routes(routes!(conversations::get_chat))
        .routes(routes!(conversations::chat_messages, sending::send_to_chat))
        .routes(routes!(conversations::list_messages))
        .routes(routes!(
            conversations::get_message,
            sending::edit,
            sending::delete
        ))
        .routes(routes!(sending::react))
        .routes(routes!(media::message_media))
        .routes(routes!(media::upload))
        .routes(routes!(media::get))
        .routes(routes!(media::contact_picture))
        .routes(routes!(sending::seen))
        .routes(routes!(sending::typing))
        .routes(routes!(conversations::list_sessions))
        .routes(routes!(conversations::get_session))
        .routes(routes!(conversations::session_messages))
        .routes(routes!(session_actions::close))
        .routes(routes!(session_actions::reopen))
        .routes(routes!(session_actions::assign))
        .routes(routes!(session_actions::transfer))
        .routes(routes!(session_actions::assignments))
        .routes(routes!(conversations::list_events))
        .routes(routes!(conversations::stream_events))
        .routes(routes!(jobs::list))
        .routes(routes!(jobs::get))
        .routes(routes!(jobs::retry))
        .routes(routes!(message_groups::list))
        .routes(routes!(reports::sessions))
        .routes(routes!(reports::sessions_csv))
        .routes(routes!(reports::live))
        .routes(routes!(
            webhook_subscriptions::create,
            webhook_subscriptions::list
        ))
        .routes(routes!(
            webhook_subscriptions::get,
            webhook_subscriptions::update,
            webhook_subscriptions::delete
        ))
        .routes(routes!(webhook_subscriptions::rotate_secret))
        .routes(routes!(webhook_subscriptions::test))
        .routes(routes!(webhook_subscriptions::deliveries))
        .routes(routes!(webhook_subscriptions::delivery))
        .routes(routes!(webhook_subscriptions::retry))
        .routes(routes!(webhook_subscriptions::replay))
        .split_for_parts();
    let router = router
        .route_layer(from_fn_with_state(
            state.clone(),
            crate::idempotency::idempotent,
        ))
        .route_layer(from_fn_with_state(state.clone(), crate::rate_limit::limit))
        .route_layer(from_fn_with_state(state.clone(), crate::auth::resolve))
        .route_layer(from_fn(crate::metrics::track))
        .layer(axum::extract::DefaultBodyLimit::max(
            usize::try_from(state.media_max_bytes)
                .unwrap_or(usize::MAX)
                .saturating_add(64 * 1024),
        ))
        .fallback(health::not_found)
        .layer(crate::panic_guard::layer())
        .layer(from_fn(crate::correlation::echo))
        .with_state(state);
    (router, spec)
}

/// The API plus `/openapi.json` and the Swagger UI at `/docs` (assets served by Ventros).
///
/// Outer layers, outermost first: bounds on client-set headers, a request id (set when
/// absent, echoed), a tracing span per request, the access log.
pub fn router(state: AppState) -> Router {
    let (api, spec) = api(state);
    api.merge(SwaggerUi::new("/docs").url("/openapi.json", spec))
        .layer(from_fn(crate::access_log::log))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(from_fn(crate::client_headers::bound))
}

/// The span every log line of a request carries: never the raw path or query, which hold
/// ids and phone numbers (the access log names the route template).
fn request_span(req: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let correlation_id = crate::correlation(req.headers()).unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %req.method(),
        request_id = %request_id,
        correlation_id = %correlation_id,
    )
}
