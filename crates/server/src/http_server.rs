//! The HTTP side of the composition root: the handlers' state, the layers every request goes
//! through, and listeners that stop on shutdown.

use crate::build_auth;
use crate::config::Config;
use anyhow::Context;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::task::JoinHandle;
use tower::ServiceExt;
use ventros_app::ports::{
    Clock, EventPublisher, MediaStore, Store, ThrottleStore, WebhookSender, WhatsAppGateway,
};
use ventros_app::throttle::Limiter;
use ventros_domain::rate_limit::Quota;
use ventros_http::AppState;
use ventros_waha::WahaDecoder;

pub(crate) async fn bind(addr: &str, variable: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (set {variable})"))
}

/// The adapters the composition root built, as the handlers get them.
pub(crate) struct Adapters {
    pub store: Arc<dyn Store>,
    pub gateway: Arc<dyn WhatsAppGateway>,
    pub media: Arc<dyn MediaStore>,
    pub webhooks: Arc<dyn WebhookSender>,
    pub bus: Arc<dyn EventPublisher>,
    pub clock: Arc<dyn Clock>,
    pub throttles: Arc<dyn ThrottleStore>,
}

/// What every handler sees. `api` is the API's own address, for the default public URL.
pub(crate) fn state(
    cfg: &Config,
    a: Adapters,
    api: Option<SocketAddr>,
) -> anyhow::Result<AppState> {
    let Adapters {
        store,
        gateway,
        media,
        webhooks,
        bus,
        clock,
        throttles,
    } = a;
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
    let public_url_warning = public_url_warning(cfg.public_url.as_deref(), &public_url);
    Ok(AppState {
        public_url_warning,
        store,
        decoder: Arc::new(WahaDecoder),
        gateway,
        media,
        media_max_bytes: cfg.media_max_bytes,
        webhooks,
        webhook_policy: crate::webhook_policy(cfg),
        bus,
        clock,
        public_url,
        webhook_max_bytes: cfg.webhook_max_bytes,
        prometheus: crate::prometheus(),
        auth: Arc::new(build_auth(cfg, throttles.clone())?),
        body_read_timeout: Duration::from_secs(cfg.http_body_timeout_seconds),
        limiter: Arc::new(Limiter::new(
            throttles.clone(),
            "api",
            Quota::new(cfg.rate_limit_per_minute, cfg.rate_limit_burst),
        )),
        login_limits: Arc::new(ventros_http::rate_limit::LoginLimits::new(
            throttles,
            cfg.login_per_minute_per_address,
            cfg.login_per_minute,
        )),
        metrics_on_api: cfg.metrics_addr.is_none(),
    })
}

/// Why WAHA might not reach the webhook URLs built from `public_url`.
fn public_url_warning(configured: Option<&str>, public_url: &str) -> Option<String> {
    let host = reqwest::Url::parse(public_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string))
        .unwrap_or_default();
    let local = matches!(
        host.as_str(),
        "localhost" | "127.0.0.1" | "::1" | "[::1]" | "0.0.0.0"
    ) || host.starts_with("127.");
    match (configured, local) {
        (None, _) => Some(format!(
            "VENTROS_PUBLIC_URL is not set, so webhook_url uses {public_url}: WAHA must be able to reach it; set VENTROS_PUBLIC_URL to an address WAHA can reach"
        )),
        (Some(_), true) => Some(format!(
            "VENTROS_PUBLIC_URL ({public_url}) names this machine only: WAHA on another host cannot reach webhook_url"
        )),
        (Some(_), false) => None,
    }
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// How long clients may take, and how many may be connected at once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    /// To send a request's headers, counted from when the connection is ready for the next
    /// request, so it is also how long an idle keep-alive connection is kept.
    pub header_read: Duration,
    /// Connections served at once; further ones wait in the listen queue.
    pub max_connections: usize,
}

impl ConnectionLimits {
    pub(crate) fn from(cfg: &Config) -> Self {
        ConnectionLimits {
            header_read: Duration::from_secs(cfg.http_header_timeout_seconds),
            max_connections: cfg.http_max_connections as usize,
        }
    }
}

/// Serves `app` on `listener` until `stop` turns true, then finishes in-flight requests
/// (for at most 30 s). Each connection holds one of `limits.max_connections` permits; while
/// none is free, nothing more is accepted.
pub(crate) fn serve(
    listener: TcpListener,
    app: axum::Router,
    mut stop: watch::Receiver<bool>,
    limits: ConnectionLimits,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
        let mut builder = auto::Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_read);
        let graceful = GracefulShutdown::new();
        loop {
            let permit = tokio::select! {
                p = permits.clone().acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = stopped(&mut stop) => break,
            };
            let accepted = tokio::select! {
                r = listener.accept() => r,
                _ = stopped(&mut stop) => break,
            };
            let (stream, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    // Out of file descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let svc = app
                .clone()
                .map_request(move |mut req: axum::extract::Request<Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                });
            let conn = builder
                .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(svc))
                .into_owned();
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                // Timeouts and resets end here; they are the client's business.
                let _ = conn.await;
                drop(permit);
            });
        }
        drop(listener);
        if tokio::time::timeout(Duration::from_secs(30), graceful.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("connections still open 30 s after shutdown began; dropped");
        }
    })
}
