//! Configuration from flags and `VENTROS_*` environment variables. Defaults make a bare
//! `cargo run --release` work: a SQLite file in the working directory, port 8080. The
//! commands that take it are in `cli`.

mod cli;

pub use cli::{ApiKeyCommand, Cli, Command, MetricsCommand, TenantCommand};

use clap::Args;
use std::fmt;

/// Where the data is: every command that opens the store takes these.
#[derive(Args, Clone)]
pub struct Database {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db` (the restricted app role).
    #[arg(
        long,
        env = "VENTROS_DATABASE_URL",
        default_value = "sqlite://ventros.db?mode=rwc",
        hide_env_values = true
    )]
    pub database_url: String,
    /// PostgreSQL only: the owner role's URL, used to run migrations and grant the app role.
    #[arg(long, env = "VENTROS_MIGRATION_DATABASE_URL", hide_env_values = true)]
    pub migration_database_url: Option<String>,
    /// PostgreSQL pool size, 1 to 1000.
    #[arg(
        long,
        env = "VENTROS_DB_MAX_CONNECTIONS",
        value_parser = clap::value_parser!(u32).range(1..=1_000),
        default_value_t = 16,
        hide_env_values = true
    )]
    pub db_max_connections: u32,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database")
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "migration_database_url",
                &self.migration_database_url.as_deref().map(redact_url),
            )
            .finish()
    }
}

impl Database {
    pub fn at(database_url: &str) -> Self {
        Database {
            database_url: database_url.to_string(),
            migration_database_url: None,
            db_max_connections: 16,
        }
    }
}

/// How a server (`serve`, `work`, `migrate`) runs.
#[derive(Args, Clone)]
pub struct Config {
    #[command(flatten)]
    pub db: Database,
    /// Address the API listens on.
    #[arg(
        long,
        env = "VENTROS_HTTP_ADDR",
        default_value = "0.0.0.0:8080",
        hide_env_values = true
    )]
    pub http_addr: String,
    /// Address `/metrics` listens on by itself (it then leaves the API listener); unset, it is
    /// served on the API listener.
    #[arg(long, env = "VENTROS_METRICS_ADDR", hide_env_values = true)]
    pub metrics_addr: Option<String>,
    /// Public base URL of this server, used to build channel webhook URLs (default from the address).
    #[arg(long, env = "VENTROS_PUBLIC_URL", hide_env_values = true)]
    pub public_url: Option<String>,
    /// Largest accepted WAHA webhook body in bytes, 1024 to 67108864 (larger gets 413).
    #[arg(long, env = "VENTROS_WEBHOOK_MAX_BYTES", default_value_t = 1024 * 1024, hide_env_values = true, value_parser = parse_body_limit)]
    pub webhook_max_bytes: usize,
    /// Seconds a client has to send a request's headers, also how long an idle keep-alive
    /// connection stays open; 1 to 300.
    #[arg(
        long,
        env = "VENTROS_HTTP_HEADER_TIMEOUT_SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=300),
        default_value_t = 10,
        hide_env_values = true
    )]
    pub http_header_timeout_seconds: u64,
    /// Seconds a client has to send a whole request body (larger gets 408); 1 to 3600.
    #[arg(
        long,
        env = "VENTROS_HTTP_BODY_TIMEOUT_SECONDS",
        value_parser = clap::value_parser!(u64).range(1..=3_600),
        default_value_t = 30,
        hide_env_values = true
    )]
    pub http_body_timeout_seconds: u64,
    /// Connections served at once per listener; more wait to be accepted. 1 to 100000.
    #[arg(
        long,
        env = "VENTROS_HTTP_MAX_CONNECTIONS",
        value_parser = clap::value_parser!(u32).range(1..=100_000),
        default_value_t = 1024,
        hide_env_values = true
    )]
    pub http_max_connections: u32,
    /// Log format: `json` or `pretty`. Levels come from RUST_LOG (default `info`).
    #[arg(
        long,
        env = "VENTROS_LOG_FORMAT",
        default_value = "pretty",
        hide_env_values = true
    )]
    pub log_format: String,
    /// Outbox rows the relay claims per round, 1 to 10000.
    #[arg(
        long,
        env = "VENTROS_RELAY_BATCH",
        value_parser = clap::value_parser!(u32).range(1..=10_000),
        default_value_t = 200,
        hide_env_values = true
    )]
    pub relay_batch: u32,
    /// Secret (at least 32 bytes) that signs access tokens. Unset: a random one per process,
    /// so tokens stop working on restart and differ between instances.
    #[arg(long, env = "VENTROS_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Lifetime of access tokens, in seconds: 60 to 2592000 (30 days).
    #[arg(
        long,
        env = "VENTROS_JWT_TTL_SECONDS",
        value_parser = clap::value_parser!(i64).range(60..=2_592_000),
        default_value_t = 3600,
        hide_env_values = true
    )]
    pub jwt_ttl_seconds: i64,
    /// Requests per minute per API key or user (token bucket refill rate), 1 to 1000000.
    #[arg(
        long,
        env = "VENTROS_RATE_LIMIT_PER_MINUTE",
        value_parser = clap::value_parser!(u32).range(1..=1_000_000),
        default_value_t = 600,
        hide_env_values = true
    )]
    pub rate_limit_per_minute: u32,
    /// Requests a caller may send at once before the per-minute rate applies, 1 to 1000000.
    #[arg(
        long,
        env = "VENTROS_RATE_LIMIT_BURST",
        value_parser = clap::value_parser!(u32).range(1..=1_000_000),
        default_value_t = 100,
        hide_env_values = true
    )]
    pub rate_limit_burst: u32,
    /// Failed logins per account within 15 minutes before logins are refused (429), 1 to 1000.
    #[arg(
        long,
        env = "VENTROS_LOGIN_MAX_FAILURES",
        value_parser = clap::value_parser!(u32).range(1..=1_000),
        default_value_t = 5,
        hide_env_values = true
    )]
    pub login_max_failures: u32,
    /// Login attempts per minute from one client address (the TCP peer), 1 to 100000.
    #[arg(
        long,
        env = "VENTROS_LOGIN_PER_MINUTE_PER_ADDRESS",
        value_parser = clap::value_parser!(u32).range(1..=100_000),
        default_value_t = 20,
        hide_env_values = true
    )]
    pub login_per_minute_per_address: u32,
    /// Login attempts per minute in all, 1 to 1000000.
    #[arg(
        long,
        env = "VENTROS_LOGIN_PER_MINUTE",
        value_parser = clap::value_parser!(u32).range(1..=1_000_000),
        default_value_t = 300,
        hide_env_values = true
    )]
    pub login_per_minute: u32,
    /// Where rate limits and login throttling are kept: `memory` (this process only),
    /// `database` (shared by every instance on it), `redis` (shared, needs VENTROS_REDIS_URL)
    /// or `auto`: Redis when VENTROS_REDIS_URL is set, else the database on PostgreSQL,
    /// else memory.
    #[arg(
        long,
        env = "VENTROS_RATE_LIMIT_STORE",
        value_enum,
        default_value_t = ThrottleBackend::Auto,
        hide_env_values = true
    )]
    pub rate_limit_store: ThrottleBackend,
    /// Hours a finished (`done`) job is kept before the worker role deletes it; dead jobs are
    /// kept until retried.
    #[arg(
        long,
        env = "VENTROS_JOB_RETENTION_HOURS",
        default_value_t = 168,
        value_parser = clap::value_parser!(u32).range(1..=87_600),
        hide_env_values = true
    )]
    pub job_retention_hours: u32,
    /// Seconds a WAHA call may take before its outcome counts as unknown (a send is then
    /// looked up before any retry); 1 to 300.
    #[arg(
        long,
        env = "VENTROS_WAHA_TIMEOUT_SECONDS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u64).range(1..=300),
        hide_env_values = true
    )]
    pub waha_timeout_seconds: u64,
    /// Directory of the local media store (default: `<database file>-media` beside a SQLite
    /// file, `./ventros-media` otherwise). Ignored when `VENTROS_MEDIA_URL` is set.
    #[arg(long, env = "VENTROS_MEDIA_DIR", hide_env_values = true)]
    pub media_dir: Option<std::path::PathBuf>,
    /// S3-compatible media store, `s3://bucket/prefix`; credentials, region and endpoint from
    /// the `AWS_*` variables (`AWS_ENDPOINT_URL`, `AWS_ALLOW_HTTP=true` for plain HTTP).
    #[arg(long, env = "VENTROS_MEDIA_URL", hide_env_values = true)]
    pub media_url: Option<String>,
    /// The largest file kept (a customer's media, an upload), in bytes: 1 KiB to 1 GiB.
    #[arg(
        long,
        env = "VENTROS_MEDIA_MAX_BYTES",
        default_value_t = 64 * 1024 * 1024,
        value_parser = clap::value_parser!(u64).range(1024..=1024 * 1024 * 1024),
        hide_env_values = true
    )]
    pub media_max_bytes: u64,
    /// Hours after which a contact's profile picture is fetched again, on its next new
    /// session; 1 to 8760.
    #[arg(
        long,
        env = "VENTROS_PROFILE_PICTURE_REFRESH_HOURS",
        default_value_t = 24,
        value_parser = clap::value_parser!(u32).range(1..=8_760),
        hide_env_values = true
    )]
    pub profile_picture_refresh_hours: u32,
    /// Lets webhook subscriptions use `http://` URLs (development; production wants https).
    #[arg(
        long,
        env = "VENTROS_WEBHOOK_ALLOW_HTTP",
        default_value_t = false,
        action = clap::ArgAction::Set,
        hide_env_values = true
    )]
    pub webhook_allow_http: bool,
    /// Lets webhooks reach loopback, private, link-local and other internal addresses
    /// (development and tests only: the SSRF guard is off).
    #[arg(
        long,
        env = "VENTROS_WEBHOOK_ALLOW_PRIVATE",
        default_value_t = false,
        action = clap::ArgAction::Set,
        hide_env_values = true
    )]
    pub webhook_allow_private: bool,
    /// A webhook subscription whose deliveries have all failed for this many hours is
    /// disabled (`webhook.disabled`); 1 to 8760.
    #[arg(
        long,
        env = "VENTROS_WEBHOOK_DISABLE_AFTER_HOURS",
        default_value_t = 120,
        value_parser = clap::value_parser!(u32).range(1..=8_760),
        hide_env_values = true
    )]
    pub webhook_disable_after_hours: u32,
    /// Days finished webhook deliveries (and their attempts) stay in the delivery log;
    /// 1 to 3650.
    #[arg(
        long,
        env = "VENTROS_WEBHOOK_LOG_RETENTION_DAYS",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(1..=3_650),
        hide_env_values = true
    )]
    pub webhook_log_retention_days: u32,
    /// Webhook deliveries one worker process posts at once (to different endpoints, or up to
    /// VENTROS_WEBHOOK_MAX_IN_FLIGHT to one), 1 to 1024.
    #[arg(
        long,
        env = "VENTROS_WEBHOOK_CONCURRENCY",
        default_value_t = 16,
        value_parser = clap::value_parser!(u32).range(1..=1_024),
        hide_env_values = true
    )]
    pub webhook_concurrency: u32,
    /// Deliveries on their way to one subscription's endpoint at once, across every worker
    /// process, 1 to 256.
    #[arg(
        long,
        env = "VENTROS_WEBHOOK_MAX_IN_FLIGHT",
        default_value_t = 4,
        value_parser = clap::value_parser!(u32).range(1..=256),
        hide_env_values = true
    )]
    pub webhook_max_in_flight: u32,
    /// RabbitMQ (`amqp://user:pass@host:5672/vhost`): when set, the relay publishes every
    /// event to it with publisher confirms and Ventros' consumers read their own quorum queues;
    /// unset, events stay in process.
    #[arg(long, env = "VENTROS_AMQP_URL", hide_env_values = true)]
    pub amqp_url: Option<String>,
    /// The topic exchange events are published to.
    #[arg(
        long,
        env = "VENTROS_AMQP_EXCHANGE",
        default_value = "ventros.events",
        hide_env_values = true
    )]
    pub amqp_exchange: String,
    /// Redis (`redis://host:6379`): every event is also published to the pub/sub channel
    /// named after its type (at most once; docs/EVENTS.md).
    #[arg(long, env = "VENTROS_REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Put before the type in Redis channel names (`ventros.` → `ventros.message.received`).
    #[arg(
        long,
        env = "VENTROS_REDIS_CHANNEL_PREFIX",
        default_value = "",
        hide_env_values = true
    )]
    pub redis_channel_prefix: String,
}

/// `VENTROS_RATE_LIMIT_STORE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ThrottleBackend {
    Auto,
    Memory,
    Database,
    Redis,
}

/// Hides the password of a URL (`postgres://user:***@host/db`).
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s + 3 => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("db", &self.db)
            .field("http_addr", &self.http_addr)
            .field("metrics_addr", &self.metrics_addr)
            .field("public_url", &self.public_url)
            .field("webhook_max_bytes", &self.webhook_max_bytes)
            .field(
                "http_header_timeout_seconds",
                &self.http_header_timeout_seconds,
            )
            .field("http_body_timeout_seconds", &self.http_body_timeout_seconds)
            .field("http_max_connections", &self.http_max_connections)
            .field("log_format", &self.log_format)
            .field("relay_batch", &self.relay_batch)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("jwt_ttl_seconds", &self.jwt_ttl_seconds)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .field("rate_limit_store", &self.rate_limit_store)
            .field("login_max_failures", &self.login_max_failures)
            .field(
                "login_per_minute_per_address",
                &self.login_per_minute_per_address,
            )
            .field("login_per_minute", &self.login_per_minute)
            .field("job_retention_hours", &self.job_retention_hours)
            .field("waha_timeout_seconds", &self.waha_timeout_seconds)
            .field("media_dir", &self.media_dir)
            .field("media_url", &self.media_url)
            .field("media_max_bytes", &self.media_max_bytes)
            .field(
                "profile_picture_refresh_hours",
                &self.profile_picture_refresh_hours,
            )
            .field("webhook_allow_http", &self.webhook_allow_http)
            .field("webhook_concurrency", &self.webhook_concurrency)
            .field("webhook_max_in_flight", &self.webhook_max_in_flight)
            .field("webhook_allow_private", &self.webhook_allow_private)
            .field(
                "webhook_disable_after_hours",
                &self.webhook_disable_after_hours,
            )
            .field(
                "webhook_log_retention_days",
                &self.webhook_log_retention_days,
            )
            .field("amqp_url", &self.amqp_url.as_deref().map(redact_url))
            .field("amqp_exchange", &self.amqp_exchange)
            .field("redis_url", &self.redis_url.as_deref().map(redact_url))
            .field("redis_channel_prefix", &self.redis_channel_prefix)
            .finish()
    }
}

impl Config {
    /// Where the local media store keeps files: `VENTROS_MEDIA_DIR`, else beside the SQLite
    /// file, else `./ventros-media`.
    pub fn media_dir(&self) -> std::path::PathBuf {
        if let Some(d) = &self.media_dir {
            return d.clone();
        }
        let url = &self.db.database_url;
        match url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            Some(rest) => {
                let file = std::path::PathBuf::from(rest.split('?').next().unwrap_or("ventros.db"));
                let stem = file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "ventros".into());
                file.with_file_name(format!("{stem}-media"))
            }
            None => std::path::PathBuf::from("ventros-media"),
        }
    }

    /// The configuration for a server on `addr` backed by `database_url`, other knobs default.
    pub fn for_database(database_url: &str, http_addr: &str) -> Self {
        Config {
            db: Database::at(database_url),
            http_addr: http_addr.to_string(),
            metrics_addr: None,
            public_url: None,
            webhook_max_bytes: 1024 * 1024,
            http_header_timeout_seconds: 10,
            http_body_timeout_seconds: 30,
            http_max_connections: 1024,
            log_format: "pretty".into(),
            relay_batch: 200,
            jwt_secret: None,
            jwt_ttl_seconds: 3600,
            rate_limit_per_minute: 600,
            rate_limit_burst: 100,
            login_max_failures: 5,
            login_per_minute_per_address: 20,
            login_per_minute: 300,
            rate_limit_store: ThrottleBackend::Auto,
            job_retention_hours: 168,
            waha_timeout_seconds: 30,
            media_dir: None,
            media_url: None,
            media_max_bytes: 64 * 1024 * 1024,
            profile_picture_refresh_hours: 24,
            webhook_allow_http: false,
            webhook_allow_private: false,
            webhook_disable_after_hours: 120,
            webhook_log_retention_days: 30,
            webhook_concurrency: 16,
            webhook_max_in_flight: 4,
            amqp_url: None,
            amqp_exchange: "ventros.events".into(),
            redis_url: None,
            redis_channel_prefix: String::new(),
        }
    }
}

/// A body limit in bytes: 1 KiB to 64 MiB.
fn parse_body_limit(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|e| format!("{e}"))?;
    if (1024..=64 * 1024 * 1024).contains(&n) {
        Ok(n)
    } else {
        Err("must be 1024 to 67108864 bytes".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/v"),
            "postgres://app:***@db:5432/v"
        );
        assert_eq!(redact_url("postgres://app@db/v"), "postgres://app@db/v");
        assert_eq!(
            redact_url("sqlite://ventros.db?mode=rwc"),
            "sqlite://ventros.db?mode=rwc"
        );
        let mut c = Config::for_database("postgres://app:s3cret@db/v", "127.0.0.1:0");
        c.db.migration_database_url = Some("postgres://owner:hunter2@db/v".into());
        c.jwt_secret = Some("a-very-long-signing-secret-0123456789".into());
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("s3cret") && !dbg.contains("hunter2") && !dbg.contains("signing"),
            "{dbg}"
        );
    }
}
