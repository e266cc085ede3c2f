//! The `ventros` command line: which command takes which flags, and a help that lists every
//! `VENTROS_*` variable once.

use super::{Config, Database};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use uuid::Uuid;
use ventros_domain::tenancy::Role;

#[derive(Parser, Debug)]
#[command(
    name = "ventros",
    version,
    about = "WhatsApp-first conversational CRM backend",
    long_about = "WhatsApp-first conversational CRM backend. With no command it serves, \
                  like `ventros serve`, with the options below.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    /// How `ventros` with no command serves.
    #[command(flatten)]
    pub serve: Config,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the API and run the workers in-process (the default).
    Serve(Config),
    /// Run only the background workers (outbox relay, job runner, consumers).
    Work(Config),
    /// Apply database migrations and exit.
    Migrate(Config),
    /// Manage tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Manage API keys from the server side (when no admin key is at hand).
    ApiKey {
        #[command(subcommand)]
        command: ApiKeyCommand,
    },
    /// Session metrics maintenance.
    Metrics {
        #[command(subcommand)]
        command: MetricsCommand,
    },
    /// Copy the SQLite database, consistently, while Ventros runs (`VACUUM INTO`). For
    /// PostgreSQL use pg_dump (docs/OPERATIONS.md).
    Backup {
        #[command(flatten)]
        db: Database,
        /// The new file to write (it must not exist).
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Run a WAHA simulator: WAHA's REST calls answered like the chosen engine, the echo and
    /// acks of what is sent posted to the webhook, customers' messages on demand (`POST
    /// /sim/inbound`). For trying Ventros without a phone; see docs/MESSAGING.md.
    WahaSim(WahaSimArgs),
    /// Replace the SQLite database with a backup, once the backup passes SQLite's integrity
    /// check and its migrations are ones this build knows. Stop Ventros first.
    Restore {
        #[command(flatten)]
        db: Database,
        /// The backup to restore.
        #[arg(long)]
        from: std::path::PathBuf,
    },
}

#[derive(clap::Args, Debug)]
pub struct WahaSimArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub addr: String,
    /// The API key callers must send as X-Api-Key.
    #[arg(long, default_value = "waha-key")]
    pub api_key: String,
    /// Whose answers to give: NOWEB, GOWS or WEBJS.
    #[arg(long, default_value = "NOWEB")]
    pub engine: String,
    /// The session that exists (and is WORKING) at start.
    #[arg(long, default_value = "default")]
    pub session: String,
    /// The account's own number, digits only.
    #[arg(long, default_value = "15550000000")]
    pub me: String,
    /// A webhook URL the session posts every event to (repeatable); a channel's
    /// `webhook_url`. Ventros can also write it itself (`POST /v1/channels/{id}/webhook`).
    #[arg(long)]
    pub webhook: Vec<String>,
    /// The HMAC key those webhooks are signed with (the channel's `webhook_hmac_key`).
    #[arg(long)]
    pub hmac_key: Option<String>,
    /// Seconds a media file stays downloadable (WAHA's default is 180).
    #[arg(long, default_value_t = 180)]
    pub files_lifetime_seconds: u64,
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Create a tenant with a default project, an admin user and an admin API key. The admin's
    /// password comes from VENTROS_ADMIN_PASSWORD, or is asked for (twice) at the terminal, or
    /// is read as one line from standard input.
    Create {
        #[command(flatten)]
        db: Database,
        /// The tenant's name (the organisation).
        #[arg(long)]
        name: String,
        /// The admin's email, their login name (unique across tenants).
        #[arg(long)]
        admin_email: String,
        /// The admin's display name (default: the email).
        #[arg(long)]
        admin_name: Option<String>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ApiKeyCommand {
    /// Create an API key for a tenant, shown once: how to get back in when every admin key
    /// is lost. Needs access to the database, not an existing key.
    Create {
        #[command(flatten)]
        db: Database,
        /// The tenant's id.
        #[arg(long)]
        tenant: Uuid,
        /// The key's role: `admin`, `supervisor` or `agent`.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// The project the key works in (default: the tenant's first project).
        #[arg(long)]
        project: Option<Uuid>,
        /// A name to recognise the key by in the list.
        #[arg(long, default_value = "recovery")]
        name: String,
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
        #[command(flatten)]
        db: Database,
        /// Only compare; write nothing. Exits with status 1 when any figure differs.
        #[arg(long)]
        check: bool,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).map_err(|e| e.to_string())
}

/// Variables read without a flag of their own, for the list in `ventros --help`.
const UNFLAGGED: [(&str, &str, &str); 2] = [
    (
        "VENTROS_ADMIN_PASSWORD",
        "tenant create",
        "The new admin's password (at least 8 characters); asked for when unset",
    ),
    (
        "RUST_LOG",
        "every command",
        "Log levels, e.g. `info` (the default for servers) or `warn,ventros=debug`",
    ),
];

impl Cli {
    /// Parses the command line, with `--help` listing every variable of every command.
    pub fn parse_args() -> Cli {
        let cmd = Cli::command();
        let env = environment(&cmd);
        let matches = cmd.after_long_help(env).get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }
}

/// Every `VENTROS_*` variable of every command, once, with the commands that read it.
fn environment(root: &clap::Command) -> String {
    let mut seen: Vec<(String, Vec<String>, String)> = Vec::new();
    fn walk(cmd: &clap::Command, path: &str, seen: &mut Vec<(String, Vec<String>, String)>) {
        for arg in cmd.get_arguments() {
            let Some(env) = arg.get_env().and_then(|e| e.to_str()) else {
                continue;
            };
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let user = if path.is_empty() { "serve" } else { path };
            match seen.iter_mut().find(|(name, _, _)| name == env) {
                Some((_, users, _)) if !users.iter().any(|u| u == user) => users.push(user.into()),
                Some(_) => {}
                None => seen.push((env.into(), vec![user.into()], help)),
            }
        }
        for sub in cmd.get_subcommands() {
            let name = if path.is_empty() {
                sub.get_name().to_string()
            } else {
                format!("{path} {}", sub.get_name())
            };
            walk(sub, &name, seen);
        }
    }
    walk(root, "", &mut seen);
    let mut out =
        String::from("Environment (each flag can also be set by its variable; flags win):\n");
    for (name, users, help) in &seen {
        out.push_str(&format!("  {name}\n      {help} ({})\n", users.join(", ")));
    }
    for (name, users, help) in UNFLAGGED {
        out.push_str(&format!("  {name}\n      {help} ({users})\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;

    fn help_of(args: &[&str]) -> String {
        let cmd = Cli::command();
        let env = environment(&cmd);
        match cmd.after_long_help(env).try_get_matches_from(args) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("{args:?} did not print help"),
        }
    }

    #[test]
    fn the_top_help_lists_every_variable_once() {
        let help = help_of(&["ventros", "--help"]);
        for env in [
            "VENTROS_DATABASE_URL",
            "VENTROS_MIGRATION_DATABASE_URL",
            "VENTROS_DB_MAX_CONNECTIONS",
            "VENTROS_HTTP_ADDR",
            "VENTROS_METRICS_ADDR",
            "VENTROS_PUBLIC_URL",
            "VENTROS_WEBHOOK_MAX_BYTES",
            "VENTROS_HTTP_HEADER_TIMEOUT_SECONDS",
            "VENTROS_HTTP_BODY_TIMEOUT_SECONDS",
            "VENTROS_HTTP_MAX_CONNECTIONS",
            "VENTROS_LOG_FORMAT",
            "VENTROS_RELAY_BATCH",
            "VENTROS_JWT_SECRET",
            "VENTROS_JWT_TTL_SECONDS",
            "VENTROS_RATE_LIMIT_PER_MINUTE",
            "VENTROS_RATE_LIMIT_BURST",
            "VENTROS_LOGIN_MAX_FAILURES",
            "VENTROS_LOGIN_PER_MINUTE_PER_ADDRESS",
            "VENTROS_LOGIN_PER_MINUTE",
            "VENTROS_RATE_LIMIT_STORE",
            "VENTROS_JOB_RETENTION_HOURS",
            "VENTROS_WAHA_TIMEOUT_SECONDS",
            "VENTROS_MEDIA_DIR",
            "VENTROS_MEDIA_URL",
            "VENTROS_MEDIA_MAX_BYTES",
            "VENTROS_PROFILE_PICTURE_REFRESH_HOURS",
            "VENTROS_ADMIN_PASSWORD",
            "VENTROS_WEBHOOK_CONCURRENCY",
            "VENTROS_WEBHOOK_MAX_IN_FLIGHT",
        ] {
            assert!(help.contains(env), "{env} missing from --help:\n{help}");
            let listed = help.matches(&format!("\n  {env}\n")).count();
            assert_eq!(listed, 1, "{env} listed {listed} times:\n{help}");
        }
        assert!(
            !help.contains("=]"),
            "a variable printed with a stray `=`:\n{help}"
        );
    }

    #[test]
    fn numbers_outside_their_range_are_refused_at_start() {
        for (flag, bad) in [
            ("--jwt-ttl-seconds", "99999999999999"),
            ("--jwt-ttl-seconds", "-5"),
            ("--rate-limit-per-minute", "0"),
            ("--rate-limit-burst", "0"),
            ("--login-max-failures", "0"),
            ("--login-per-minute", "0"),
            ("--login-per-minute-per-address", "0"),
            ("--relay-batch", "0"),
            ("--webhook-concurrency", "0"),
            ("--webhook-max-in-flight", "257"),
            ("--webhook-max-bytes", "10"),
            ("--db-max-connections", "0"),
            ("--http-header-timeout-seconds", "0"),
            ("--http-body-timeout-seconds", "0"),
            ("--http-max-connections", "0"),
            ("--job-retention-hours", "0"),
        ] {
            let arg = format!("{flag}={bad}");
            let r = Cli::command().try_get_matches_from(["ventros", "serve", &arg]);
            let e = r.err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains(flag), "{flag} {bad} accepted: {e}");
        }
        assert!(
            Cli::command()
                .try_get_matches_from(["ventros", "serve", "--jwt-ttl-seconds", "86400"])
                .is_ok()
        );
    }

    #[test]
    fn server_flags_stay_on_server_commands() {
        let create = help_of(&["ventros", "tenant", "create", "--help"]);
        assert!(create.contains("--database-url") && create.contains("--admin-name"));
        for server_only in [
            "--http-addr",
            "--jwt-secret",
            "--relay-batch",
            "--log-format",
        ] {
            assert!(
                !create.contains(server_only),
                "{server_only} on tenant create:\n{create}"
            );
        }
        for cmd in ["serve", "work", "migrate"] {
            let help = help_of(&["ventros", cmd, "--help"]);
            assert!(help.contains("--http-addr"), "{cmd}:\n{help}");
        }
    }

    /// Every option says what it is for.
    #[test]
    fn every_option_has_a_description() {
        fn walk(cmd: &clap::Command, path: &str) {
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help()
                        .is_some_and(|h| !h.to_string().trim().is_empty()),
                    "`{path} --{id}` has no description"
                );
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()));
            }
        }
        walk(&Cli::command(), "ventros");
    }

    #[test]
    fn no_command_serves_with_the_top_flags() {
        let cli = Cli::try_parse_from(["ventros", "--http-addr", "127.0.0.1:9"]).unwrap();
        assert!(cli.command.is_none());
        assert_eq!(cli.serve.http_addr, "127.0.0.1:9");
        let role = Cli::try_parse_from([
            "ventros",
            "api-key",
            "create",
            "--tenant",
            "00000000-0000-0000-0000-000000000001",
            "--role",
            "root",
        ]);
        assert!(role.is_err(), "an unknown role is refused");
    }
}
