//! `ventros-bench`: runs one benchmark and prints its report.

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "ventros-bench",
    version,
    about = "Ventros benchmarks: each prints ratios against a baseline measured in the same run"
)]
struct Cli {
    #[command(subcommand)]
    command: Bench,
}

#[derive(Subcommand, Debug)]
enum Bench {
    /// Post N distinct WAHA `message` webhooks over HTTP with C clients, then run a bare-SQL
    /// baseline doing the same writes on the same engine.
    Ingest {
        /// `sqlite` (a temp file) or `postgres` (needs --postgres-admin-url).
        #[arg(long, default_value = "sqlite")]
        backend: String,
        /// Messages per round.
        #[arg(long, default_value_t = 2000)]
        messages: usize,
        /// Concurrent HTTP clients (and baseline callers).
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Alternating Ventros/baseline rounds; the median ratio is reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// A PostgreSQL URL of a role that may create databases and roles; a throwaway
        /// database is created and dropped.
        #[arg(long, env = "VENTROS_BENCH_POSTGRES_URL", hide_env_values = true)]
        postgres_admin_url: Option<String>,
    },
    /// Arm inactivity timers for N active sessions through the ingest path (vs the bare-SQL
    /// ingest baseline), then expire them all with the job runner (vs the same runner draining
    /// as many no-op jobs).
    Timers {
        /// `sqlite` (a temp file) or `postgres` (needs --postgres-admin-url).
        #[arg(long, default_value = "sqlite")]
        backend: String,
        /// Active sessions to arm and expire.
        #[arg(long, default_value_t = 100_000)]
        sessions: usize,
        /// Concurrent ingest callers while arming.
        #[arg(long, default_value_t = 8)]
        concurrency: usize,
        /// Job runners draining the timers.
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// A PostgreSQL URL of a role that may create databases and roles.
        #[arg(long, env = "VENTROS_BENCH_POSTGRES_URL", hide_env_values = true)]
        postgres_admin_url: Option<String>,
    },
    /// Send N text messages through the send saga to the WAHA simulator (one chat each,
    /// spread over channels at their highest pace), against the same WAHA calls made
    /// directly: the simulator's own ceiling.
    Send {
        /// `sqlite` (a temp file) or `postgres` (needs --postgres-admin-url).
        #[arg(long, default_value = "sqlite")]
        backend: String,
        /// Messages to send.
        #[arg(long, default_value_t = 2000)]
        messages: usize,
        /// Channels to spread them over (each sends at most 1000 a minute).
        #[arg(long, default_value_t = 4)]
        channels: usize,
        /// Job runners draining the sends (and direct callers for the ceiling).
        #[arg(long, default_value_t = 2)]
        workers: usize,
        /// The simulated WAHA engine: `noweb` and `gows` reserve ids, `webjs` does not.
        #[arg(long, default_value = "noweb")]
        engine: String,
        /// A PostgreSQL URL of a role that may create databases and roles.
        #[arg(long, env = "VENTROS_BENCH_POSTGRES_URL", hide_env_values = true)]
        postgres_admin_url: Option<String>,
    },
    /// How fast events leave: the relay publishing to RabbitMQ with confirms (vs the same
    /// publishes straight from memory), and webhooks fanned out and delivered (vs the same
    /// signed posts made directly).
    Events {
        /// `sqlite` (a temp file) or `postgres` (needs --postgres-admin-url).
        #[arg(long, default_value = "sqlite")]
        backend: String,
        /// Customer messages to ingest (each writes several events).
        #[arg(long, default_value_t = 1000)]
        messages: usize,
        /// RabbitMQ for the relay part (skipped without it).
        #[arg(long, env = "VENTROS_BENCH_AMQP_URL", hide_env_values = true)]
        amqp_url: Option<String>,
        /// A PostgreSQL URL of a role that may create databases and roles.
        #[arg(long, env = "VENTROS_BENCH_POSTGRES_URL", hide_env_values = true)]
        postgres_admin_url: Option<String>,
    },
    /// Webhook latency while clients spray logins with wrong passwords, against the same
    /// webhooks alone (SQLite).
    LoginSpray {
        /// Webhooks per phase.
        #[arg(long, default_value_t = 2000)]
        messages: usize,
        /// Concurrent webhook clients.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Concurrent login clients during the second phase.
        #[arg(long, default_value_t = 16)]
        attackers: usize,
        /// Lift the login rate limits, so only the hashing pool stands between the spray
        /// and the webhooks.
        #[arg(long)]
        unlimited: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let report = match Cli::parse().command {
        Bench::Ingest {
            backend,
            messages,
            concurrency,
            rounds,
            postgres_admin_url,
        } => {
            ventros_bench::ingest::ingest(
                &backend,
                messages,
                concurrency,
                rounds,
                postgres_admin_url.as_deref(),
            )
            .await?
        }
        Bench::Timers {
            backend,
            sessions,
            concurrency,
            workers,
            postgres_admin_url,
        } => {
            ventros_bench::timers::timers(
                &backend,
                sessions,
                concurrency,
                workers,
                postgres_admin_url.as_deref(),
            )
            .await?
        }
        Bench::Send {
            backend,
            messages,
            channels,
            workers,
            engine,
            postgres_admin_url,
        } => {
            ventros_bench::send::send(
                &backend,
                messages,
                channels,
                workers,
                &engine,
                postgres_admin_url.as_deref(),
            )
            .await?
        }
        Bench::Events {
            backend,
            messages,
            amqp_url,
            postgres_admin_url,
        } => {
            ventros_bench::events::events(
                &backend,
                messages,
                amqp_url.as_deref(),
                postgres_admin_url.as_deref(),
            )
            .await?
        }
        Bench::LoginSpray {
            messages,
            concurrency,
            attackers,
            unlimited,
        } => {
            ventros_bench::login_spray::login_spray(messages, concurrency, attackers, unlimited)
                .await?
        }
    };
    println!("{report}");
    Ok(())
}
