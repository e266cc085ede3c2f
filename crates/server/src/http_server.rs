//! The HTTP side of the composition root: the handlers' state, the layers every request goes
//! through, and listeners that stop on shutdown.

use crate::build_auth;
use crate::config::Config;
use anyhow::Context;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use ventros_app::ports::{Clock, Store};
use ventros_http::AppState;
use ventros_waha::WahaDecoder;

pub(crate) async fn bind(addr: &str, variable: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (set {variable})"))
}

/// What every handler sees. `api` is the API's own address, for the default public URL.
pub(crate) fn state(
    cfg: &Config,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    api: Option<SocketAddr>,
) -> anyhow::Result<AppState> {
    let public_url = cfg.public_url.clone().unwrap_or_else(|| match api {
        Some(local) => {
            let host = if local.ip().is_unspecified() {
                "localhost".to_string()
            } else {
                local.ip().to_string()
            };
            format!("http://{host}:{}", local.port())
        }
        None => cfg.http_addr.clone(),
    });
    Ok(AppState {
        store,
        decoder: Arc::new(WahaDecoder),
        clock,
        public_url,
        webhook_max_bytes: cfg.webhook_max_bytes,
        prometheus: crate::prometheus(),
        auth: Arc::new(build_auth(cfg)?),
        limiter: Arc::new(ventros_http::RateLimiter::new(
            cfg.rate_limit_per_minute,
            cfg.rate_limit_burst,
        )),
        login_limits: Arc::new(ventros_http::rate_limit::LoginLimits::new(
            cfg.login_per_minute_per_address,
            cfg.login_per_minute,
        )),
        metrics_on_api: cfg.metrics_addr.is_none(),
    })
}

/// Serves `app` on `listener` until `stop` turns true, then finishes in-flight requests.
pub(crate) fn serve(
    listener: TcpListener,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let stopped = async move {
            let _ = stop.wait_for(|s| *s).await;
        };
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(stopped)
            .await
        {
            tracing::error!(error = %e, "HTTP server failed");
        }
    })
}
