use anyhow::Context;
use std::io::IsTerminal;
use ventros_app::ports::SystemClock;
use ventros_app::usecases::api_keys::create_operator_key;
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_server::config::{ApiKeyCommand, Cli, Command, Config, MetricsCommand, TenantCommand};
use ventros_server::{Roles, open_store, shutdown_signal, start};

/// Logs go to standard error (standard output carries what a command prints, e.g. `--json`),
/// with colours only when that is a terminal.
fn init_logging(format: &str, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse_args();
    match cli.command.unwrap_or(Command::Serve(cli.serve)) {
        Command::Serve(cfg) => run(cfg, true).await,
        Command::Work(cfg) => run(cfg, false).await,
        Command::Migrate(cfg) => {
            init_logging(&cfg.log_format, "info");
            let storage = open_store(&cfg.db, true).await?;
            println!("migrations applied ({})", storage.store.backend());
            Ok(())
        }
        Command::Tenant {
            command:
                TenantCommand::Create {
                    db,
                    name,
                    admin_email,
                    admin_name,
                    json,
                },
        } => {
            init_logging("pretty", "warn");
            let admin_password = admin_password()?;
            let store = open_store(&db, true).await?.store;
            let out = create_tenant(
                store.as_ref(),
                &SystemClock,
                CreateTenant {
                    name,
                    admin_email,
                    admin_name,
                    admin_password,
                },
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot create the tenant")?;
            if json {
                println!("{}", serde_json::to_string(&out)?);
            } else {
                println!(
                    "tenant_id:  {}\nproject_id: {}\nuser_id:    {}\napi_key:    {}\n(the API key is shown once; store it now)",
                    out.tenant_id, out.project_id, out.user_id, out.api_key
                );
            }
            Ok(())
        }
        Command::ApiKey {
            command:
                ApiKeyCommand::Create {
                    db,
                    tenant,
                    role,
                    project,
                    name,
                    json,
                },
        } => {
            init_logging("pretty", "warn");
            let store = open_store(&db, true).await?.store;
            let k = create_operator_key(
                store.as_ref(),
                &SystemClock,
                tenant.into(),
                project.map(Into::into),
                &name,
                role,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot create the API key")?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"id": k.key.id, "tenant_id": k.key.tenant_id, "project_id": k.key.project_id, "role": k.key.role, "prefix": k.key.prefix, "api_key": k.secret})
                );
            } else {
                println!(
                    "api_key_id: {}\nproject_id: {}\nrole:       {}\napi_key:    {}\n(the API key is shown once; store it now)",
                    k.key.id,
                    k.key.project_id,
                    k.key.role.as_str(),
                    k.secret
                );
            }
            Ok(())
        }
        Command::WahaSim(a) => {
            init_logging("pretty", "info");
            let engine = ventros_waha::sim::Engine::parse(&a.engine)
                .with_context(|| format!("--engine {}: use NOWEB, GOWS or WEBJS", a.engine))?;
            let cfg = ventros_waha::sim::SimConfig {
                api_key: a.api_key,
                engine,
                session: a.session,
                me: a.me,
                webhooks: a.webhook,
                hmac_key: a.hmac_key,
                files_lifetime: std::time::Duration::from_secs(a.files_lifetime_seconds),
                ..Default::default()
            };
            let served = ventros_waha::sim::Simulator::spawn(cfg, &a.addr)
                .await
                .with_context(|| format!("cannot listen on {}", a.addr))?;
            tracing::info!(addr = %served.addr, engine = engine.name(), "WAHA simulator listening");
            ventros_server::shutdown_signal().await;
            Ok(())
        }
        Command::Backup { db, to } => {
            init_logging("pretty", "warn");
            ventros_server::backup::backup(&db, &to).await?;
            println!("backed up to {}", to.display());
            Ok(())
        }
        Command::Restore { db, from } => {
            init_logging("pretty", "warn");
            let r = ventros_server::backup::restore(&db, &from).await?;
            println!(
                "restored {} from {} (migration {}; later ones are applied at the next start)",
                r.database.display(),
                from.display(),
                r.migration
            );
            Ok(())
        }
        Command::Metrics {
            command: MetricsCommand::Recompute { db, check },
        } => {
            init_logging("pretty", "warn");
            let store = open_store(&db, true).await?.store;
            let out = ventros_app::usecases::session_metrics::recompute_all(
                store.as_ref(),
                &SystemClock,
                check,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("cannot recompute session metrics")?;
            println!("{}", serde_json::to_string(&out)?);
            if check && out.differing > 0 {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

/// `ventros serve` (`http`) or `ventros work`, until SIGINT or SIGTERM.
async fn run(cfg: Config, http: bool) -> anyhow::Result<()> {
    init_logging(&cfg.log_format, "info");
    let storage = open_store(&cfg.db, true).await?;
    tracing::info!(backend = storage.store.backend(), config = ?cfg, "starting Ventros");
    let running = start(
        &cfg,
        storage,
        Roles {
            http,
            workers: true,
        },
    )
    .await?;
    if let Some(addr) = running.addr {
        tracing::info!(%addr, "API listening; docs at /docs, spec at /openapi.json");
    }
    shutdown_signal().await;
    tracing::info!("shutting down: finishing in-flight requests and work");
    running.stop().await;
    Ok(())
}

/// The new admin's password: `VENTROS_ADMIN_PASSWORD`, else asked for twice at the terminal,
/// else one line of standard input.
fn admin_password() -> anyhow::Result<String> {
    if let Ok(p) = std::env::var("VENTROS_ADMIN_PASSWORD") {
        return Ok(p);
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Admin password (at least 8 characters): ")?;
        let again = rpassword::prompt_password("Again: ")?;
        anyhow::ensure!(first == again, "the two passwords differ");
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("cannot read the admin password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}
