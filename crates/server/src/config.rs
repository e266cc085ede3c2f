//! Configuration from flags and `VENTROS_*` environment variables. Defaults make a bare
//! `cargo run --release` work: a SQLite file in the working directory, port 8080.

use clap::{Args, Parser, Subcommand};
use std::fmt;

#[derive(Parser, Debug)]
#[command(
    name = "ventros",
    version,
    about = "WhatsApp-first conversational CRM backend"
)]
pub struct Cli {
    #[command(flatten)]
    pub config: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API and run the workers in-process (the default).
    Serve,
    /// Run only the background workers (outbox relay, job runner, consumers).
    Work,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Session metrics maintenance.
    Metrics {
        #[command(subcommand)]
        command: MetricsCommand,
    },
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant with a default project, an admin user and an admin API key.
    Create {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        /// At least 8 characters. Prefer VENTROS_ADMIN_PASSWORD to keep it out of shell history.
        #[arg(long, env = "VENTROS_ADMIN_PASSWORD", hide_env_values = true)]
        admin_password: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum MetricsCommand {
    /// Recompute every ended session's figures from its stored messages and assignments and
    /// compare them with the stored ones; missing or different figures are written (with
    /// `session.metrics_calculated`). Prints one JSON summary line.
    Recompute {
        /// Only compare; write nothing. Exits with status 1 when any figure differs.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Args, Clone)]
pub struct Config {
    /// Database URL: `sqlite://path?mode=rwc` or `postgres://user@host/db` (the restricted app role).
    #[arg(
        long,
        env = "VENTROS_DATABASE_URL",
        default_value = "sqlite://ventros.db?mode=rwc",
        hide_env_values = true,
        global = true
    )]
    pub database_url: String,
    /// PostgreSQL only: the owner role's URL, used to run migrations and grant the app role.
    #[arg(
        long,
        env = "VENTROS_MIGRATION_DATABASE_URL",
        hide_env_values = true,
        global = true
    )]
    pub migration_database_url: Option<String>,
    /// Address the API listens on.
    #[arg(
        long,
        env = "VENTROS_HTTP_ADDR",
        default_value = "0.0.0.0:8080",
        global = true
    )]
    pub http_addr: String,
    /// Public base URL of this server, used to build channel webhook URLs (default from the address).
    #[arg(long, env = "VENTROS_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
    /// Largest accepted WAHA webhook body in bytes (larger gets 413).
    #[arg(long, env = "VENTROS_WEBHOOK_MAX_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub webhook_max_bytes: usize,
    /// PostgreSQL pool size.
    #[arg(
        long,
        env = "VENTROS_DB_MAX_CONNECTIONS",
        default_value_t = 16,
        global = true
    )]
    pub db_max_connections: u32,
    /// Log format: `json` or `pretty`. Levels come from RUST_LOG (default `info`).
    #[arg(
        long,
        env = "VENTROS_LOG_FORMAT",
        default_value = "pretty",
        global = true
    )]
    pub log_format: String,
    /// Outbox rows the relay claims per round.
    #[arg(
        long,
        env = "VENTROS_RELAY_BATCH",
        default_value_t = 200,
        global = true
    )]
    pub relay_batch: u32,
    /// Secret (at least 32 bytes) that signs access tokens. Unset: a random one per process,
    /// so tokens stop working on restart and differ between instances.
    #[arg(
        long,
        env = "VENTROS_JWT_SECRET",
        hide_env_values = true,
        global = true
    )]
    pub jwt_secret: Option<String>,
    /// Lifetime of access tokens, in seconds.
    #[arg(
        long,
        env = "VENTROS_JWT_TTL_SECONDS",
        default_value_t = 3600,
        global = true
    )]
    pub jwt_ttl_seconds: i64,
    /// Requests per minute per API key or user (token bucket refill rate).
    #[arg(
        long,
        env = "VENTROS_RATE_LIMIT_PER_MINUTE",
        default_value_t = 600,
        global = true
    )]
    pub rate_limit_per_minute: u32,
    /// Requests a caller may send at once before the per-minute rate applies.
    #[arg(
        long,
        env = "VENTROS_RATE_LIMIT_BURST",
        default_value_t = 100,
        global = true
    )]
    pub rate_limit_burst: u32,
    /// Failed logins per account within 15 minutes before logins are refused (429).
    #[arg(
        long,
        env = "VENTROS_LOGIN_MAX_FAILURES",
        default_value_t = 5,
        global = true
    )]
    pub login_max_failures: u32,
    /// Hours a finished (`done`) job is kept before the worker role deletes it; dead jobs are
    /// kept until retried.
    #[arg(
        long,
        env = "VENTROS_JOB_RETENTION_HOURS",
        default_value_t = 168,
        value_parser = clap::value_parser!(u32).range(1..=87_600),
        global = true
    )]
    pub job_retention_hours: u32,
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
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "migration_database_url",
                &self.migration_database_url.as_deref().map(redact_url),
            )
            .field("http_addr", &self.http_addr)
            .field("public_url", &self.public_url)
            .field("webhook_max_bytes", &self.webhook_max_bytes)
            .field("db_max_connections", &self.db_max_connections)
            .field("log_format", &self.log_format)
            .field("relay_batch", &self.relay_batch)
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("jwt_ttl_seconds", &self.jwt_ttl_seconds)
            .field("rate_limit_per_minute", &self.rate_limit_per_minute)
            .field("rate_limit_burst", &self.rate_limit_burst)
            .field("login_max_failures", &self.login_max_failures)
            .field("job_retention_hours", &self.job_retention_hours)
            .finish()
    }
}

impl Config {
    /// The configuration for a server on `addr` backed by `database_url`, other knobs default.
    pub fn for_database(database_url: &str, http_addr: &str) -> Self {
        Config {
            database_url: database_url.to_string(),
            migration_database_url: None,
            http_addr: http_addr.to_string(),
            public_url: None,
            webhook_max_bytes: 1024 * 1024,
            db_max_connections: 16,
            log_format: "pretty".into(),
            relay_batch: 200,
            jwt_secret: None,
            jwt_ttl_seconds: 3600,
            rate_limit_per_minute: 600,
            rate_limit_burst: 100,
            login_max_failures: 5,
            job_retention_hours: 168,
        }
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
        c.migration_database_url = Some("postgres://owner:hunter2@db/v".into());
        c.jwt_secret = Some("a-very-long-signing-secret-0123456789".into());
        let dbg = format!("{c:?}");
        assert!(
            !dbg.contains("s3cret") && !dbg.contains("hunter2") && !dbg.contains("signing"),
            "{dbg}"
        );
    }

    #[test]
    fn help_documents_every_knob() {
        use clap::CommandFactory;
        let help = Cli::command().render_long_help().to_string();
        for env in [
            "VENTROS_DATABASE_URL",
            "VENTROS_MIGRATION_DATABASE_URL",
            "VENTROS_HTTP_ADDR",
            "VENTROS_PUBLIC_URL",
            "VENTROS_WEBHOOK_MAX_BYTES",
            "VENTROS_LOG_FORMAT",
            "VENTROS_JWT_SECRET",
            "VENTROS_JWT_TTL_SECONDS",
            "VENTROS_RATE_LIMIT_PER_MINUTE",
            "VENTROS_RATE_LIMIT_BURST",
            "VENTROS_LOGIN_MAX_FAILURES",
            "VENTROS_JOB_RETENTION_HOURS",
        ] {
            assert!(help.contains(env), "{env} missing from --help");
        }
    }
}
