//! `ventros bench ingest`: the real HTTP ingest path against a bare-SQL baseline measured in
//! the same run on the same engine, so the printed ratio means something on a noisy machine.

use crate::config::Config;
use crate::{Roles, start};
use anyhow::{Context, bail};
use chrono::{TimeZone, Utc};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use ventros_app::bench::BaselineMessage;
use ventros_app::ports::{Store, SystemClock, WebhookChannel};
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_domain::tenancy::Scope;
use ventros_storage_postgres::{PgStore, TestDatabase, provision_test_database};
use ventros_storage_sqlite::SqliteStore;
use ventros_waha::sample;

/// Throughput and latency of one run.
#[derive(Debug, Clone)]
pub struct Measure {
    pub count: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Measure {
    pub fn rate(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn from(mut lat: Vec<Duration>, elapsed: Duration) -> Self {
        lat.sort();
        let pick = |q: f64| {
            lat.get(((lat.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or_default()
        };
        Measure {
            count: lat.len(),
            elapsed,
            p50: pick(0.5),
            p99: pick(0.99),
        }
    }
}

/// Runs `op(i)` for i in 0..n with `concurrency` workers; returns per-op latencies.
pub(crate) async fn drive<F, Fut>(n: usize, concurrency: usize, op: F) -> anyhow::Result<Measure>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency.max(1) {
        let (op, next) = (op.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<_, anyhow::Error>(lat);
                }
                let t = Instant::now();
                op(i).await?;
                lat.push(t.elapsed());
            }
        }));
    }
    let mut all = Vec::with_capacity(n);
    for t in tasks {
        all.extend(t.await??);
    }
    Ok(Measure::from(all, started.elapsed()))
}

fn phone_digits(i: usize, n: usize) -> String {
    // About five messages per contact, like a real burst of conversations.
    format!("5511{:09}", i % (n / 5).max(1))
}

pub(crate) enum Db {
    Sqlite(SqliteStore, std::path::PathBuf),
    Postgres(PgStore, Box<TestDatabase>),
}

impl Db {
    pub(crate) async fn open(
        backend: &str,
        pg_admin: Option<&str>,
    ) -> anyhow::Result<(Db, String)> {
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
    pub(crate) async fn baseline_ingest(
        &self,
        scope: Scope,
        channel: ventros_domain::ids::ChannelId,
        m: &BaselineMessage,
    ) -> anyhow::Result<()> {
        let r = match self {
            Db::Sqlite(s, _) => s.baseline_ingest(scope, channel, m).await,
            Db::Postgres(s, _) => s.baseline_ingest(scope, channel, m).await,
        };
        r.map_err(|e| anyhow::anyhow!("{e}"))
    }

    pub(crate) fn store(&self) -> Arc<dyn Store> {
        match self {
            Db::Sqlite(s, _) => Arc::new(s.clone()),
            Db::Postgres(s, _) => Arc::new(s.clone()),
        }
    }

    pub(crate) async fn close(self) {
        match self {
            Db::Sqlite(s, dir) => {
                s.close().await;
                let _ = std::fs::remove_dir_all(dir);
            }
            Db::Postgres(s, db) => {
                s.close().await;
                let _ = db.drop_database().await;
            }
        }
    }
}

pub(crate) async fn tenant_and_channel(
    store: &dyn Store,
) -> anyhow::Result<(Scope, WebhookChannel)> {
    let t = create_tenant(
        store,
        &SystemClock,
        CreateTenant {
            name: "bench".into(),
            admin_email: "bench@example.com".into(),
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

/// One round of Ventros over HTTP on a fresh database.
async fn measure_http(
    backend: &str,
    n: usize,
    concurrency: usize,
    pg_admin: Option<&str>,
) -> anyhow::Result<Measure> {
    let (db, url) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (_, channel) = tenant_and_channel(store.as_ref()).await?;
    let cfg = Config::for_database(&url, "127.0.0.1:0");
    let running = start(
        &cfg,
        store.clone(),
        Roles {
            http: true,
            workers: false,
        },
    )
    .await?;
    let endpoint = format!(
        "{}/webhooks/waha/{}",
        running.base_url(),
        channel.channel_id
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new(
        (0..n)
            .map(|i| {
                sample::text_message(
                    Some(&format!("evt_bench_{i}")),
                    &phone_digits(i, n),
                    &format!("BENCH{i:08}"),
                    false,
                    BODY,
                    1_700_000_000 + i as i64,
                )
            })
            .collect(),
    );
    let m = drive(n, concurrency, move |i| {
        let (client, endpoint, bodies) = (client.clone(), endpoint.clone(), bodies.clone());
        async move {
            let r = client
                .post(&endpoint)
                .header("content-type", "application/json")
                .body(bodies[i].clone())
                .send()
                .await?;
            if !r.status().is_success() {
                bail!("webhook answered {}", r.status());
            }
            let v: serde_json::Value = r.json().await?;
            if v["status"] != "processed" {
                bail!("webhook outcome {v}");
            }
            Ok(())
        }
    })
    .await;
    running.stop().await;
    db.close().await;
    m
}

/// One round of the bare-SQL baseline: same engine, same writes, same concurrency, fresh database.
async fn measure_baseline(
    backend: &str,
    n: usize,
    concurrency: usize,
    pg_admin: Option<&str>,
) -> anyhow::Result<Measure> {
    let (db, _) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (scope, channel) = tenant_and_channel(store.as_ref()).await?;
    let ch = channel.channel_id;
    let msgs: Arc<Vec<BaselineMessage>> = Arc::new(
        (0..n)
            .map(|i| {
                let d = phone_digits(i, n);
                BaselineMessage {
                    dedupe_key: format!("evt_base_{i}"),
                    phone: format!("+{d}"),
                    wa_chat_id: format!("{d}@c.us"),
                    raw_id: format!("BASE{i:08}"),
                    body: BODY.into(),
                    at: Utc
                        .timestamp_opt(1_700_000_000 + i as i64, 0)
                        .single()
                        .unwrap_or_default(),
                }
            })
            .collect(),
    );
    let db = Arc::new(db);
    let m = {
        let db = db.clone();
        drive(n, concurrency, move |i| {
            let (db, msgs) = (db.clone(), msgs.clone());
            async move { db.baseline_ingest(scope, ch, &msgs[i]).await }
        })
        .await
    };
    let db = Arc::try_unwrap(db)
        .map_err(|_| anyhow::anyhow!("baseline workers still hold the database"))?;
    db.close().await;
    m
}

pub(crate) const BODY: &str = "Quero saber o preço, por favor";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

/// Alternates Ventros and baseline rounds (so drift on a noisy machine hits both) and reports
/// each round and the median ratio.
pub async fn ingest(
    backend: &str,
    n: usize,
    concurrency: usize,
    rounds: usize,
    pg_admin: Option<&str>,
) -> anyhow::Result<String> {
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let mut out = format!(
        "bench ingest: backend={backend} messages={n} concurrency={concurrency} rounds={rounds}\n"
    );
    let (mut ratios, mut p50s) = (Vec::new(), Vec::new());
    for round in 1..=rounds.max(1) {
        let http = measure_http(backend, n, concurrency, pg_admin).await?;
        let base = measure_baseline(backend, n, concurrency, pg_admin).await?;
        let ratio = http.rate() / base.rate().max(1e-9);
        let p50 = ms(http.p50) / ms(base.p50).max(1e-9);
        out.push_str(&format!(
            "round {round}: ventros {:>6.0} msg/s (p50 {:>6.2} ms, p99 {:>6.2} ms) | baseline {:>6.0} msg/s (p50 {:>6.2} ms, p99 {:>6.2} ms) | throughput {ratio:.2}x\n",
            http.rate(), ms(http.p50), ms(http.p99), base.rate(), ms(base.p50), ms(base.p99)
        ));
        ratios.push(ratio);
        p50s.push(p50);
    }
    out.push_str(&format!(
        "median ratio (ventros / bare-SQL baseline): throughput {:.2}x, p50 latency {:.2}x",
        median(ratios),
        median(p50s)
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_median() {
        let lat: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        let m = Measure::from(lat, Duration::from_secs(2));
        assert_eq!(
            (m.count, m.p50, m.p99),
            (100, Duration::from_millis(51), Duration::from_millis(99))
        );
        assert!((m.rate() - 50.0).abs() < 1e-9);
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ingest_bench_runs_both_paths_on_sqlite() {
        let report = ingest("sqlite", 30, 4, 1, None)
            .await
            .map_err(|e| e.to_string());
        let report = report.unwrap_or_else(|e| panic!("{e}"));
        assert!(report.contains("round 1: ventros"), "{report}");
        assert!(report.contains("median ratio"), "{report}");
        assert!(ingest("oracle", 1, 1, 1, None).await.is_err());
    }
}
