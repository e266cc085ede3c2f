//! A fresh database per measured round (a temp SQLite file, or a throwaway PostgreSQL
//! database), its tenant and channel, and the bare-SQL baseline written against it.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use std::sync::Arc;
use ventros_app::ports::{Store, SystemClock, WebhookChannel};
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_domain::ids::ChannelId;
use ventros_domain::tenancy::Scope;
use ventros_server::config::Config;
use ventros_server::{Roles, Running, Storage, start};
use ventros_storage_postgres::{PgStore, TestDatabase, provision_test_database};
use ventros_storage_sqlite::SqliteStore;

/// The text every benchmark message carries.
pub const BODY: &str = "Quero saber o preço, por favor";

/// One inbound text message, as the bare-SQL baseline writes it.
#[derive(Debug, Clone)]
pub struct BaselineMessage {
    pub dedupe_key: String,
    /// E.164 phone of the sender.
    pub phone: String,
    pub wa_chat_id: String,
    pub raw_id: String,
    pub body: String,
    pub at: DateTime<Utc>,
}

pub enum Db {
    Sqlite(SqliteStore, std::path::PathBuf),
    Postgres(PgStore, Box<TestDatabase>),
}

impl Db {
    pub async fn open(backend: &str, pg_admin: Option<&str>) -> anyhow::Result<(Db, String)> {
        match backend {
            "sqlite" => {
                let dir =
                    std::env::temp_dir().join(format!("ventros-bench-{}", uuid::Uuid::now_v7()));
                std::fs::create_dir_all(&dir)?;
                let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
                let s = SqliteStore::connect(&url)
                    .await
                    .map_err(anyhow::Error::msg)?;
                s.migrate().await.map_err(anyhow::Error::msg)?;
                Ok((Db::Sqlite(s, dir), url))
            }
            "postgres" => {
                let admin = pg_admin.context("--postgres-admin-url (or VENTROS_BENCH_POSTGRES_URL) is required for the postgres backend")?;
                let db = provision_test_database(admin)
                    .await
                    .map_err(anyhow::Error::msg)?;
                let s = PgStore::connect_with(db.app.clone(), 16)
                    .await
                    .map_err(anyhow::Error::msg)?;
                Ok((Db::Postgres(s, Box::new(db)), String::new()))
            }
            other => bail!("unknown backend {other:?}: use sqlite or postgres"),
        }
    }

    /// The adapter's bare-SQL baseline for one message.
    pub async fn baseline_ingest(
        &self,
        scope: Scope,
        channel: ChannelId,
        m: &BaselineMessage,
    ) -> anyhow::Result<()> {
        match self {
            Db::Sqlite(s, _) => {
                crate::baseline_sqlite::ingest(s.write_pool(), scope, channel, m).await
            }
            Db::Postgres(s, _) => {
                crate::baseline_postgres::ingest(s.pool(), scope, channel, m).await
            }
        }
    }

    pub fn store(&self) -> Arc<dyn Store> {
        self.storage().store
    }

    /// The store with its outbox signal, as `ventros_server::start` takes it.
    pub fn storage(&self) -> Storage {
        match self {
            Db::Sqlite(s, _) => s.clone().into(),
            Db::Postgres(s, _) => s.clone().into(),
        }
    }

    /// Ventros' API (no workers) on this database, on a free local port.
    pub async fn serve_http(&self, cfg: &Config) -> anyhow::Result<Running> {
        start(
            cfg,
            self.storage(),
            Roles {
                http: true,
                workers: false,
            },
        )
        .await
    }

    pub async fn close(self) {
        match self {
            Db::Sqlite(s, dir) => {
                s.close().await;
                let _ = std::fs::remove_dir_all(dir);
            }
            Db::Postgres(s, db) => {
                s.close().await;
                drop(db);
            }
        }
    }
}

pub async fn tenant_and_channel(store: &dyn Store) -> anyhow::Result<(Scope, WebhookChannel)> {
    let t = create_tenant(
        store,
        &SystemClock,
        CreateTenant {
            name: "bench".into(),
            admin_email: "bench@example.com".into(),
            admin_name: None,
            admin_password: "benchmark-pw".into(),
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let scope = Scope {
        tenant_id: t.tenant_id,
        project_id: t.project_id,
    };
    let ch = create_channel(
        store,
        &SystemClock,
        &ventros_app::actor::Actor::system(scope, "bench"),
        CreateChannel {
            name: "bench".into(),
            waha_base_url: "http://127.0.0.1:3000".into(),
            waha_api_key: "k".into(),
            waha_session: "default".into(),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let w = store
        .webhook_channel(ch.id)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .context("channel vanished")?;
    Ok((scope, w))
}

/// One WAHA webhook body through the decoder and the ingest use case; it must be processed.
pub async fn ingest_one(
    store: &dyn Store,
    clock: &dyn ventros_app::ports::Clock,
    channel: &WebhookChannel,
    body: &[u8],
) -> anyhow::Result<()> {
    use ventros_app::ports::WebhookDecoder;
    use ventros_app::usecases::ingest::{IngestOutcome, ingest_webhook};
    let d = ventros_waha::WahaDecoder
        .decode(body)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let ctx = ventros_domain::event::EventContext {
        source: "bench".into(),
        ..Default::default()
    };
    let outcome = ingest_webhook(store, clock, channel, d, &ctx)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if outcome != IngestOutcome::Processed {
        bail!("ingest outcome {outcome:?}");
    }
    Ok(())
}
