//! The composition root: the only place that knows concrete adapters.

pub mod backup;
mod http_server;
mod passwords;

pub mod config;
pub mod retention;
mod store_factory;

pub use store_factory::{Storage, open_store};

use config::Config;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use ventros_app::ports::{
    Clock, EventConsumer, EventPublisher, JobHandler, LoginFailureStore, MediaStore, Store,
    SystemClock, ThrottleStore, WebhookSender, WhatsAppGateway,
};
use ventros_app::throttle::LoginThrottle;
use ventros_app::tokens::TokenService;
use ventros_app::usecases::login::Auth;
use ventros_app::usecases::webhook_delivery::DeliveryHandler;
use ventros_app::usecases::webhooks::UrlPolicy;
use ventros_workers::{
    InProcessBus, JobRunner, JobRunnerConfig, OutboxRelay, RelayConfig, TimelineConsumer,
    WebhookFanOut,
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
    /// Where `/metrics` listens when it has a listener of its own.
    pub metrics_addr: Option<SocketAddr>,
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

/// Ventros' own event consumers, whatever carries the events to them.
pub fn consumers(store: &Arc<dyn Store>, clock: &Arc<dyn Clock>) -> Vec<Arc<dyn EventConsumer>> {
    vec![
        Arc::new(TimelineConsumer::new(store.clone())),
        Arc::new(WebhookFanOut::new(store.clone(), clock.clone())),
    ]
}

/// Where the relay publishes: RabbitMQ when `VENTROS_AMQP_URL` is set, else the in-process
/// bus that hands each event to the consumers; with Redis pub/sub beside it (at most once)
/// when `VENTROS_REDIS_URL` is set.
pub fn build_bus(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    cfg: &Config,
) -> anyhow::Result<Arc<dyn EventPublisher>> {
    let primary = primary_bus(store, clock, cfg);
    Ok(match &cfg.redis_url {
        Some(url) => {
            let redis = ventros_redis::RedisSink::new(url, &cfg.redis_channel_prefix)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            Arc::new(ventros_workers::WithSinks {
                primary,
                sinks: vec![Arc::new(redis)],
            })
        }
        None => primary,
    })
}

fn primary_bus(
    store: &Arc<dyn Store>,
    clock: &Arc<dyn Clock>,
    cfg: &Config,
) -> Arc<dyn EventPublisher> {
    match &cfg.amqp_url {
        Some(url) => Arc::new(ventros_bus_rabbitmq::RabbitPublisher::new(bus_config(
            url, cfg,
        ))),
        None => Arc::new(
            consumers(store, clock)
                .into_iter()
                .fold(InProcessBus::new(), InProcessBus::subscribe),
        ),
    }
}

fn bus_config(url: &str, cfg: &Config) -> ventros_bus_rabbitmq::BusConfig {
    ventros_bus_rabbitmq::BusConfig {
        exchange: cfg.amqp_exchange.clone(),
        ..ventros_bus_rabbitmq::BusConfig::new(url)
    }
}

pub fn build_relay(
    storage: &Storage,
    bus: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
    cfg: &Config,
) -> OutboxRelay {
    let store = storage.store.clone();
    OutboxRelay::new(
        store,
        bus,
        clock,
        RelayConfig {
            batch: cfg.relay_batch,
            ..Default::default()
        },
    )
    .woken_by(storage.outbox_signal.clone())
}

/// The WhatsApp gateway client every channel is reached through.
pub fn build_gateway(cfg: &Config) -> anyhow::Result<Arc<dyn WhatsAppGateway>> {
    let client = ventros_waha::WahaClient::new(ventros_waha::ClientConfig {
        request_timeout: std::time::Duration::from_secs(cfg.waha_timeout_seconds),
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Arc::new(client))
}

/// The media store: S3-compatible storage when `VENTROS_MEDIA_URL` is set, else a local
/// directory.
pub fn build_media(cfg: &Config) -> anyhow::Result<Arc<dyn MediaStore>> {
    let m = match &cfg.media_url {
        Some(url) => ventros_media::ObjectMedia::s3(url, ventros_media::S3Options::default()),
        None => ventros_media::ObjectMedia::local(&cfg.media_dir()),
    }
    .map_err(|e| anyhow::anyhow!("media store: {e}"))?;
    tracing::info!(store = m.label(), "media store");
    Ok(Arc::new(m))
}

/// The HTTP client webhooks are delivered through, with its SSRF guard.
pub fn build_webhook_sender(cfg: &Config) -> anyhow::Result<Arc<dyn WebhookSender>> {
    let s = ventros_webhooks::HttpWebhookSender::new(ventros_webhooks::SenderConfig {
        allow_private: cfg.webhook_allow_private,
        ..Default::default()
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Arc::new(s))
}

/// What webhook subscriptions may point at.
pub fn webhook_policy(cfg: &Config) -> UrlPolicy {
    UrlPolicy {
        allow_http: cfg.webhook_allow_http,
        allow_private: cfg.webhook_allow_private,
    }
}

/// The job runner with every handler Ventros has.
pub fn build_job_runner(
    store: Arc<dyn Store>,
    gateway: Arc<dyn WhatsAppGateway>,
    media: Arc<dyn MediaStore>,
    webhooks: Arc<dyn WebhookSender>,
    clock: Arc<dyn Clock>,
    cfg: &Config,
) -> JobRunner {
    let sends = ventros_app::usecases::gateway_handlers(
        store.clone(),
        gateway,
        media,
        clock.clone(),
        cfg.media_max_bytes,
        cfg.profile_picture_refresh_hours,
    );
    let deliveries: Arc<dyn JobHandler> = Arc::new(DeliveryHandler {
        store: store.clone(),
        sender: webhooks,
        clock: clock.clone(),
        disable_after_hours: cfg.webhook_disable_after_hours,
        user_agent: format!("Ventros/{}", env!("CARGO_PKG_VERSION")),
        max_in_flight: cfg.webhook_max_in_flight,
    });
    ventros_app::usecases::job_handlers(store.clone(), clock.clone())
        .into_iter()
        .chain(sends)
        .chain([deliveries])
        .fold(
            JobRunner::new(
                store,
                clock,
                JobRunnerConfig {
                    concurrency: usize::try_from(cfg.webhook_concurrency).unwrap_or(16),
                    ..JobRunnerConfig::default()
                },
            ),
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
    start_on(cfg, storage, roles, Arc::new(SystemClock)).await
}

/// Starts Ventros on an opened store, telling time by `clock`.
pub async fn start_on(
    cfg: &Config,
    storage: Storage,
    roles: Roles,
    clock: Arc<dyn Clock>,
) -> anyhow::Result<Running> {
    let bus = build_bus(&storage.store, &clock, cfg)?;
    let relay = Arc::new(build_relay(&storage, bus.clone(), clock.clone(), cfg));
    let store = storage.store;
    let gateway = build_gateway(cfg)?;
    let media = build_media(cfg)?;
    let webhooks = build_webhook_sender(cfg)?;
    let jobs = Arc::new(
        build_job_runner(
            store.clone(),
            gateway.clone(),
            media.clone(),
            webhooks.clone(),
            clock.clone(),
            cfg,
        )
        .woken_by(storage.deliveries_signal.clone()),
    );
    let (shutdown, rx) = watch::channel(false);
    let mut tasks = Vec::new();
    let (mut addr, mut metrics_addr) = (None, None);
    if roles.http || cfg.metrics_addr.is_some() {
        let api = match roles.http {
            true => Some(http_server::bind(&cfg.http_addr, "VENTROS_HTTP_ADDR").await?),
            false => None,
        };
        let local = api.as_ref().map(|l| l.local_addr()).transpose()?;
        let adapters = http_server::Adapters {
            store: store.clone(),
            gateway: gateway.clone(),
            media: media.clone(),
            webhooks: webhooks.clone(),
            bus: bus.clone(),
            clock: clock.clone(),
            throttles: build_throttles(&store, cfg)?,
        };
        let state = http_server::state(cfg, adapters, local)?;
        if let (Some(listener), Some(local)) = (api, local) {
            addr = Some(local);
            let app = ventros_http::router(state.clone());
            let limits = http_server::ConnectionLimits::from(cfg);
            tasks.push(http_server::serve(listener, app, rx.clone(), limits));
        }
        if let Some(m) = &cfg.metrics_addr {
            let listener = http_server::bind(m, "VENTROS_METRICS_ADDR").await?;
            metrics_addr = Some(listener.local_addr()?);
            let app = ventros_http::metrics_router(state);
            let limits = http_server::ConnectionLimits::from(cfg);
            tasks.push(http_server::serve(listener, app, rx.clone(), limits));
        }
    }
    if roles.workers {
        if let Some(url) = &cfg.amqp_url {
            let rabbit = ventros_bus_rabbitmq::RabbitConsumers::new(
                bus_config(url, cfg),
                consumers(&store, &clock),
            );
            // Queues first, so what the relay publishes is routable; a broker that is not
            // up yet is retried by the consumers' loop (and the relay keeps its rows).
            if let Err(e) = rabbit.declare_topology().await {
                tracing::warn!(error = %e, "RabbitMQ topology not declared yet");
            }
            tasks.push(tokio::spawn(rabbit.run(rx.clone())));
        }
        let r = relay.clone();
        let rx_w = rx.clone();
        tasks.push(tokio::spawn(async move { r.run(rx_w).await }));
        let j = jobs.clone();
        let rx_j = rx.clone();
        tasks.push(tokio::spawn(async move { j.run(rx_j).await }));
        tasks.push(tokio::spawn(retention::run(
            store.clone(),
            clock.clone(),
            retention::Retention::of(cfg),
            rx.clone(),
        )));
    }
    Ok(Running {
        addr,
        metrics_addr,
        store,
        relay,
        jobs,
        shutdown,
        tasks,
    })
}

/// Where rate limits and login failures are kept (`VENTROS_RATE_LIMIT_STORE`).
pub fn build_throttles(
    store: &Arc<dyn Store>,
    cfg: &Config,
) -> anyhow::Result<Arc<dyn ThrottleStore>> {
    use config::ThrottleBackend as B;
    let kind = match (cfg.rate_limit_store, &cfg.redis_url) {
        (B::Auto, Some(_)) => B::Redis,
        (B::Auto, None) if store.backend() == "postgres" => B::Database,
        (B::Auto, None) => B::Memory,
        (k, _) => k,
    };
    Ok(match kind {
        B::Redis => {
            let url = cfg.redis_url.as_deref().ok_or_else(|| {
                anyhow::anyhow!("VENTROS_RATE_LIMIT_STORE=redis needs VENTROS_REDIS_URL")
            })?;
            Arc::new(
                ventros_redis::RedisThrottles::new(url, &cfg.redis_channel_prefix)
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            )
        }
        B::Database => store.clone(),
        B::Memory | B::Auto => Arc::new(ventros_app::throttle::MemoryThrottles::default()),
    })
}

/// Token signing and login throttling from the configuration.
pub fn build_auth(cfg: &Config, failures: Arc<dyn LoginFailureStore>) -> anyhow::Result<Auth> {
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
        LoginThrottle::new(
            failures,
            cfg.login_max_failures,
            chrono::Duration::minutes(15),
        ),
        Arc::new(passwords::PooledPasswords::for_this_machine()),
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
