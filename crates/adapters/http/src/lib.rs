//! HTTP adapter: axum router, handlers, DTOs, auth extractors and the error envelope.

mod access_log;
mod auth;
mod client_headers;
mod correlation;
mod dto;
mod error;
mod event_stream;
mod extract;
mod idempotency;
pub mod metrics;
mod openapi;
pub mod panic_guard;
pub mod rate_limit;
mod routes;
mod shown_once;

pub use auth::{Principal, correlation};
pub use error::ApiError;
pub use routes::{api, router};

use std::sync::Arc;
use ventros_app::ports::WebhookDecoder;
use ventros_app::ports::{Clock, Store};
use ventros_app::usecases::login::Auth;

pub use idempotency::IDEMPOTENCY_RETENTION_HOURS;

/// Everything handlers need, built once by the composition root.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub decoder: Arc<dyn WebhookDecoder>,
    /// WAHA, for the calls a request makes itself (activation checks, QR, live status).
    pub gateway: Arc<dyn ventros_app::ports::WhatsAppGateway>,
    /// Ventros' own files (media, uploads, pictures).
    pub media: Arc<dyn ventros_app::ports::MediaStore>,
    /// The largest upload, in bytes (`VENTROS_MEDIA_MAX_BYTES`).
    pub media_max_bytes: u64,
    /// Delivers webhooks; checks subscription URLs at creation as a delivery would.
    pub webhooks: Arc<dyn ventros_app::ports::WebhookSender>,
    /// What webhook subscriptions may point at.
    pub webhook_policy: ventros_app::usecases::webhooks::UrlPolicy,
    /// Where the relay publishes events, for `/ready`.
    pub bus: Arc<dyn ventros_app::ports::EventPublisher>,
    pub clock: Arc<dyn Clock>,
    /// Base URL used to build channel webhook URLs (`https://crm.example.com`).
    pub public_url: String,
    /// Set when `public_url` was not configured or names this machine only, so WAHA on
    /// another host could not reach the webhook.
    pub public_url_warning: Option<String>,
    /// Largest accepted webhook body, in bytes.
    pub webhook_max_bytes: usize,
    /// How long a client may take to send a whole body (408 after).
    pub body_read_timeout: std::time::Duration,
    /// Renders the Prometheus text format for `/metrics`.
    pub prometheus: metrics_exporter_prometheus::PrometheusHandle,
    /// Access tokens and login throttling.
    pub auth: Arc<Auth>,
    /// Requests per caller.
    pub limiter: Arc<ventros_app::throttle::Limiter>,
    /// Logins per client address and in all.
    pub login_limits: Arc<rate_limit::LoginLimits>,
    /// `/metrics` on the API listener; false when it has a listener of its own.
    pub metrics_on_api: bool,
}

/// `/metrics` alone, for a listener of its own (`VENTROS_METRICS_ADDR`), so the API's
/// listener need not expose it.
pub fn metrics_router(state: AppState) -> axum::Router {
    axum::Router::new()
        .route("/metrics", axum::routing::get(routes::render_metrics))
        .with_state(state)
}
