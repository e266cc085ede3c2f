use anyhow::Context;
use clap::Parser;
use ventros_app::ports::SystemClock;
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_server::config::{Cli, Command, MetricsCommand, TenantCommand};
use ventros_server::{Roles, open_store, shutdown_signal, start};

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logging(&cli.config.log_format);
    let cfg = cli.config;
    match cli.command.unwrap_or(Command::Serve) {
        cmd @ (Command::Serve | Command::Work) => {
            let serve = matches!(cmd, Command::Serve);
            let storage = open_store(&cfg, true).await?;
            tracing::info!(backend = storage.store.backend(), config = ?cfg, "starting Ventros");
            let running = start(
                &cfg,
                storage,
                Roles {
                    http: serve,
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
        Command::Migrate => {
            let store = open_store(&cfg, true).await?.store;
            println!("migrations applied ({})", store.backend());
            Ok(())
        }
        Command::Tenant {
            command:
                TenantCommand::Create {
                    name,
                    admin_email,
                    admin_password,
                    json,
                },
        } => {
            let store = open_store(&cfg, true).await?.store;
            let out = create_tenant(
                store.as_ref(),
                &SystemClock,
                CreateTenant {
                    name,
                    admin_email,
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
        Command::Metrics {
            command: MetricsCommand::Recompute { check },
        } => {
            let store = open_store(&cfg, true).await?.store;
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
