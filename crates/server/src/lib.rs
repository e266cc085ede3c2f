//! The composition root: the only place that knows concrete adapters.

pub mod backup;

pub mod config;
pub mod retention;
mod store_factory;

pub use store_factory::{Storage, open_store};

use anyhow::Context;
use config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use ventros_app::login_throttle::LoginThrottle;
use ventros_app::ports::{Clock, Store, SystemClock};
use ventros_app::tokens::TokenService;
use ventros_app::usecases::login::Auth;
use ventros_http::AppState;
use ventros_waha::WahaDecoder;
use ventros_workers::{
    InProcessBus, JobRunner, JobRunnerConfig, OutboxRelay, RelayConfig, TimelineConsumer,
};

/// What to run in this process.
#[derive(Debug, Clone, Copy)]
pub struct Roles {
    pub http: bool,
    pub workers: bool,
}

/// A started Ventros: its address, store and relay (tests drive the relay directly when
/// workers are off), and a handle to stop it.
pub struct Running {
    pub addr: Option<SocketAddr>,
    pub store: Arc<dyn Store>,
    pub relay: Arc<OutboxRelay>,
    /// Runs due jobs (session timeouts); tests drive it with `run_once` and a test clock.
    pub jobs: Arc<JobRunner>,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Running {
    /// Signals every task to stop, waits for in-flight work to finish, then leaves the
    /// database whole on disk and closes it.
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
        match self.store.shutdown().await {
            Ok(()) => tracing::info!("database closed cleanly"),
            Err(e) => tracing::warn!(error = %e, "database not closed cleanly"),
        }
    }

    pub fn base_url(&self) -> String {
        self.addr.map(|a| format!("http://{a}")).unwrap_or_default()
    }
}

pub fn build_relay(storage: &Storage, clock: Arc<dyn Clock>, cfg: &Config) -> OutboxRelay {
    let store = storage.store.clone();
    let bus = InProcessBus::new().subscribe(Arc::new(TimelineConsumer::new(store.clone())));
    OutboxRelay::new(
        store,
        Arc::new(bus),
        clock,
        RelayConfig {
            batch: cfg.relay_batch,
            ..Default::default()
        },
    )
    .woken_by(storage.outbox_signal.clone())
}

/// The job runner with every handler Ventros has.
pub fn build_job_runner(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> JobRunner {
    ventros_app::usecases::job_handlers(store.clone(), clock.clone())
        .into_iter()
        .fold(
            JobRunner::new(store, clock, JobRunnerConfig::default()),
            JobRunner::handle,
        )
}

/// The process-wide Prometheus recorder (installed once; later calls share it).
pub fn prometheus() -> metrics_exporter_prometheus::PrometheusHandle {
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let buckets = [
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ];
            let builder = metrics_exporter_prometheus::PrometheusBuilder::new();
            let builder = builder
                .set_buckets(&buckets)
                .unwrap_or_else(|_| metrics_exporter_prometheus::PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics may be empty");
            }
            handle
        })
        .clone()
}

/// Starts Ventros on an opened store.
pub async fn start(cfg: &Config, storage: Storage, roles: Roles) -> anyhow::Result<Running> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let relay = Arc::new(build_relay(&storage, clock.clone(), cfg));
    let store = storage.store;
    let jobs = Arc::new(build_job_runner(store.clone(), clock.clone()));
    let (shutdown, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let mut addr = None;
    if roles.http {
        let listener = tokio::net::TcpListener::bind(&cfg.http_addr)
            .await
            .with_context(|| {
                format!("cannot listen on {} (set VENTROS_HTTP_ADDR)", cfg.http_addr)
            })?;
        let local = listener.local_addr()?;
        addr = Some(local);
        let public_url = cfg.public_url.clone().unwrap_or_else(|| {
            let host = if local.ip().is_unspecified() {
                "localhost".to_string()
            } else {
                local.ip().to_string()
            };
            format!("http://{host}:{}", local.port())
        });
        let state = AppState {
            store: store.clone(),
            decoder: Arc::new(WahaDecoder),
            clock: clock.clone(),
            public_url,
            webhook_max_bytes: cfg.webhook_max_bytes,
            prometheus: prometheus(),
            auth: Arc::new(build_auth(cfg)?),
            limiter: Arc::new(ventros_http::RateLimiter::new(
                cfg.rate_limit_per_minute,
                cfg.rate_limit_burst,
            )),
        };
        let app = ventros_http::router(state)
            .layer(
                tower_http::trace::TraceLayer::new_for_http().make_span_with(
                    |req: &axum::http::Request<axum::body::Body>| {
                        let request_id = req
                            .headers()
                            .get("x-request-id")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let correlation_id =
                            ventros_http::correlation(req.headers()).unwrap_or_default();
                        tracing::info_span!(
                            "request",
                            method = %req.method(),
                            path = %req.uri().path(),
                            request_id = %request_id,
                            correlation_id = %correlation_id,
                        )
                    },
                ),
            )
            .layer(tower_http::request_id::PropagateRequestIdLayer::x_request_id())
            .layer(tower_http::request_id::SetRequestIdLayer::x_request_id(
                tower_http::request_id::MakeRequestUuid,
            ));
        let mut rx_http = rx.clone();
        tasks.push(tokio::spawn(async move {
            let stop = async move {
                let _ = rx_http.wait_for(|s| *s).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stop)
                .await
            {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }));
    }
    if roles.workers {
        let r = relay.clone();
        let rx_w = rx.clone();
        tasks.push(tokio::spawn(async move { r.run(rx_w).await }));
        let j = jobs.clone();
        let rx_j = rx.clone();
        tasks.push(tokio::spawn(async move { j.run(rx_j).await }));
        tasks.push(tokio::spawn(retention::run(
            store.clone(),
            clock.clone(),
            cfg.job_retention_hours,
            rx.clone(),
        )));
    }
    Ok(Running {
        addr,
        store,
        relay,
        jobs,
        shutdown,
        tasks,
    })
}

/// Token signing and login throttling from the configuration.
pub fn build_auth(cfg: &Config) -> anyhow::Result<Auth> {
    let secret = match &cfg.jwt_secret {
        Some(s) => s.as_bytes().to_vec(),
        None => {
            tracing::warn!(
                "VENTROS_JWT_SECRET is not set: access tokens are signed with a random per-process key and stop working on restart"
            );
            ventros_app::secrets::random_bytes(32)
        }
    };
    let tokens = TokenService::new(&secret, cfg.jwt_ttl_seconds)
        .map_err(|e| anyhow::anyhow!("VENTROS_JWT_SECRET: {e}"))?;
    Auth::new(
        tokens,
        LoginThrottle::new(cfg.login_max_failures, chrono::Duration::minutes(15)),
    )
    .map_err(|e| anyhow::anyhow!("auth set-up failed: {e}"))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
