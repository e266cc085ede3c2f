//! The kill test: 5,000 WAHA messages go to a `ventros serve` while it and a `ventros work`
//! on the same PostgreSQL and RabbitMQ are each killed with SIGKILL several times. The sender
//! resends whatever was not answered 2xx, as WAHA does. Afterwards every message is stored
//! once, and every `message.received` event reached RabbitMQ and the webhook sink at least
//! once; the duplicates are counted and reported. Runs when both `VENTROS_TEST_POSTGRES_URL`
//! and `VENTROS_TEST_AMQP_URL` are set.

use crate::process::ventros;
use async_trait::async_trait;
use serde_json::{Value, json};
use sqlx::Row;
use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use ventros_app::error::AppResult;
use ventros_app::ports::{Clock, EventConsumer, Store, SystemClock};
use ventros_domain::event::EventEnvelope;
use ventros_waha::sample;

const MESSAGES: usize = 5_000;
const SENDERS: usize = 8;
/// How long the drain may go without any event moving, and how long it may take at all.
const STALL: Duration = Duration::from_secs(150);
const DRAIN: Duration = Duration::from_secs(600);

/// Every `message.received` seen, by event id, with how many times.
#[derive(Default)]
struct Seen(Mutex<HashMap<String, usize>>);

impl Seen {
    fn add(&self, id: String) {
        *self.0.lock().unwrap().entry(id).or_default() += 1;
    }
    fn unique(&self) -> HashSet<String> {
        self.0.lock().unwrap().keys().cloned().collect()
    }
    fn total(&self) -> usize {
        self.0.lock().unwrap().values().sum()
    }
}

/// Another team's consumer on its own queue of the exchange.
struct Probe(Arc<Seen>);

#[async_trait]
impl EventConsumer for Probe {
    fn name(&self) -> &'static str {
        "kill_test_probe"
    }
    async fn handle(&self, e: &EventEnvelope) -> AppResult<()> {
        if e.event_type == "message.received" {
            self.0.add(e.id.to_string());
        }
        Ok(())
    }
}

/// The process roles under test, restarted with the same environment after each kill. Each
/// role's standard error goes to a log file of its own, to show when the test fails.
struct Procs {
    env: Vec<(String, String)>,
    logs: ventros_testkit::TempDir,
    serve: Child,
    work: Child,
}

/// Starts `ventros <role>` with `env`, its standard error appended to `<role>.log` in `logs`.
fn spawn_in(
    logs: &ventros_testkit::TempDir,
    role: &str,
    env: &[(String, String)],
    url: &str,
) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(logs.path().join(format!("{role}.log")))
        .unwrap();
    let mut c = ventros(&[role], url);
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .unwrap()
}

impl Procs {
    fn restart_serve(&mut self, url: &str) {
        let _ = self.serve.kill();
        let _ = self.serve.wait();
        self.serve = spawn_in(&self.logs, "serve", &self.env, url);
    }
    fn restart_work(&mut self, url: &str) {
        let _ = self.work.kill();
        let _ = self.work.wait();
        self.work = spawn_in(&self.logs, "work", &self.env, url);
    }
    /// Each role that is not running (it ended by itself: a crash, or a start that failed)
    /// with how it ended, and the end of each role's log.
    fn report(&mut self) -> String {
        let mut out = String::new();
        for (role, child) in [("serve", &mut self.serve), ("work", &mut self.work)] {
            if let Ok(Some(status)) = child.try_wait() {
                out.push_str(&format!("\n{role} is not running: {status}"));
            }
            let log = std::fs::read_to_string(self.logs.path().join(format!("{role}.log")))
                .unwrap_or_default();
            // Lines of their own, not the frames of a backtrace.
            let lines: Vec<&str> = log
                .lines()
                .filter(|l| !l.starts_with(char::is_whitespace) && !l.is_empty())
                .collect();
            let tail = lines[lines.len().saturating_sub(8)..].join("\n  ");
            out.push_str(&format!("\n{role}'s log ends:\n  {tail}"));
        }
        out
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        let _ = self.serve.kill();
        let _ = self.work.kill();
        let _ = self.serve.wait();
        let _ = self.work.wait();
    }
}

fn with_db(url: &str, db: &str, user: Option<&str>) -> String {
    let mut u = reqwest::Url::parse(url).unwrap();
    u.set_path(&format!("/{db}"));
    if let Some(user) = user {
        u.set_username(user).unwrap();
        u.set_password(None).unwrap();
    }
    u.to_string()
}

/// A free port below the kernel's ephemeral range. `serve` is restarted on the same port after
/// each kill, and while it is down a port of the ephemeral range could be handed to any other
/// test that binds port 0: the senders would then talk to that test's server.
fn free_port() -> u16 {
    let low: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next().and_then(|p| p.parse().ok()))
        .unwrap_or(32_768);
    let (from, to) = (10_000u16, low.clamp(10_001, 32_768));
    let start =
        from + u16::try_from(uuid::Uuid::now_v7().as_u128() % u128::from(to - from)).unwrap();
    (start..to)
        .chain(from..start)
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok())
        .expect("a free port below the ephemeral range")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killed_processes_lose_no_message_and_no_event() -> Result<(), String> {
    let Some(admin) = ventros_testkit::postgres_url("the kill test") else {
        return Ok(());
    };
    let Some(amqp) = ventros_testkit::amqp_url("the kill test") else {
        return Ok(());
    };
    let db = ventros_storage_postgres::provision_test_database(&admin)
        .await
        .unwrap();
    let owner_url = with_db(&admin, &db.name, None);
    let app_url = with_db(
        &admin,
        &db.name,
        Some(ventros_storage_postgres::TEST_APP_ROLE),
    );
    let exchange = format!("ventros.kill.{}", uuid::Uuid::now_v7().simple());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");

    // Where the events must arrive: a webhook sink and a queue of our own on the exchange.
    let hooked = Arc::new(Seen::default());
    let sink = hooked.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                let v: Value = serde_json::from_slice(&body).unwrap_or_default();
                if v["type"] == "message.received" {
                    sink.add(v["id"].as_str().unwrap_or_default().to_string());
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    let queued = Arc::new(Seen::default());
    let bus = ventros_bus_rabbitmq::BusConfig {
        exchange: exchange.clone(),
        ..ventros_bus_rabbitmq::BusConfig::new(&amqp)
    };
    let probe = ventros_bus_rabbitmq::RabbitConsumers::new(
        bus.clone(),
        vec![Arc::new(Probe(queued.clone()))],
    );
    probe.declare_topology().await.unwrap();
    let (stop_probe, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(probe.run(rx));

    let env: Vec<(String, String)> = [
        ("VENTROS_MIGRATION_DATABASE_URL", owner_url.as_str()),
        ("VENTROS_HTTP_ADDR", &format!("127.0.0.1:{port}")),
        ("VENTROS_AMQP_URL", amqp.as_str()),
        ("VENTROS_AMQP_EXCHANGE", exchange.as_str()),
        ("VENTROS_WEBHOOK_ALLOW_HTTP", "true"),
        ("VENTROS_WEBHOOK_ALLOW_PRIVATE", "true"),
        (
            "VENTROS_JWT_SECRET",
            "kill-test-signing-secret-0123456789abcdef",
        ),
        ("VENTROS_RATE_LIMIT_PER_MINUTE", "1000000"),
        ("VENTROS_RATE_LIMIT_BURST", "1000000"),
        ("RUST_BACKTRACE", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let tenant = {
        let mut c = ventros(
            &[
                "tenant",
                "create",
                "--name",
                "Kill",
                "--admin-email",
                "kill@example.com",
                "--json",
            ],
            &app_url,
        );
        for (k, v) in &env {
            c.env(k, v);
        }
        let out = c
            .env("VENTROS_ADMIN_PASSWORD", "long enough password")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let key = tenant["api_key"].as_str().unwrap().to_string();
    let mut procs = {
        let logs = ventros_testkit::TempDir::new("ventros-kill");
        let (serve, work) = (
            spawn_in(&logs, "serve", &env, &app_url),
            spawn_in(&logs, "work", &env, &app_url),
        );
        Procs {
            env,
            logs,
            serve,
            work,
        }
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let up = Instant::now();
    while http.get(format!("{base}/health")).send().await.is_err() {
        if up.elapsed() > Duration::from_secs(30) {
            return Err(format!("serve did not start{}", procs.report()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let channel: Value = http
        .post(format!("{base}/v1/channels"))
        .bearer_auth(&key)
        .json(&json!({"name": "Kill", "waha": {"base_url": "http://waha.local:3000", "api_key": "k", "session": "default"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let channel = channel["id"].as_str().unwrap().to_string();
    let r = http
        .post(format!("{base}/v1/webhooks"))
        .bearer_auth(&key)
        .json(&json!({"url": hook_url, "events": ["message.received"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::CREATED);

    // Senders post every message until it is answered 2xx, as WAHA retries.
    let sending = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let resends = Arc::new(AtomicUsize::new(0));
    let mut senders = Vec::new();
    for _ in 0..SENDERS {
        let (http, next, resends, base, channel) = (
            http.clone(),
            next.clone(),
            resends.clone(),
            base.clone(),
            channel.clone(),
        );
        senders.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= MESSAGES {
                    return Ok(());
                }
                let body = sample::text_message(
                    Some(&format!("evt_kill_{i}")),
                    &format!("5521{:09}", i % 500),
                    &format!("KILL{i:08}"),
                    false,
                    "mensagem",
                    chrono::Utc::now().timestamp(),
                );
                let started = Instant::now();
                loop {
                    let sent = http
                        .post(format!("{base}/webhooks/waha/{channel}"))
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await;
                    let answer = match sent {
                        Ok(r) if r.status().is_success() => break,
                        Ok(r) => format!("status {}", r.status()),
                        Err(e) => e.to_string(),
                    };
                    resends.fetch_add(1, Ordering::Relaxed);
                    if started.elapsed() > Duration::from_secs(120) {
                        return Err(format!("message {i} never taken; last answer: {answer}"));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }));
    }
    // The killer: SIGKILL each process in turn while the senders run.
    let (mut serve_kills, mut work_kills) = (0, 0);
    while next.load(Ordering::Relaxed) < MESSAGES || serve_kills < 3 {
        tokio::time::sleep(Duration::from_millis(700)).await;
        if serve_kills <= work_kills {
            procs.restart_serve(&app_url);
            serve_kills += 1;
        } else {
            procs.restart_work(&app_url);
            work_kills += 1;
        }
        if serve_kills >= 4 && work_kills >= 4 {
            break;
        }
    }
    for s in senders {
        let sent = s.await.map_err(|e| e.to_string()).and_then(|r| r);
        if let Err(e) = sent {
            return Err(format!("a sender failed: {e}{}", procs.report()));
        }
    }
    let sent_in = sending.elapsed();

    // Let the survivors finish: every event published, consumed and delivered. A kill strands
    // the jobs and webhook slots its process held until their leases run out, so the wait
    // fails only when nothing has moved for a while, not after a fixed time.
    let pool = sqlx::PgPool::connect(&owner_url).await.unwrap();
    let expected: HashSet<String> =
        sqlx::query("SELECT id FROM outbox WHERE event_type = 'message.received'")
            .fetch_all(&pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<uuid::Uuid, _>("id").to_string())
            .collect();
    let draining = Instant::now();
    let (mut last, mut moved) = (None, Instant::now());
    loop {
        let unpublished: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE published_at IS NULL")
                .fetch_one(&pool)
                .await
                .unwrap();
        let (in_queue, at_hook) = (
            expected.intersection(&queued.unique()).count(),
            expected.intersection(&hooked.unique()).count(),
        );
        if unpublished == 0 && in_queue == expected.len() && at_hook == expected.len() {
            break;
        }
        let now = (unpublished, in_queue, at_hook);
        if last != Some(now) {
            (last, moved) = (Some(now), Instant::now());
        }
        if moved.elapsed() > STALL || draining.elapsed() > DRAIN {
            return Err(format!(
                "stuck {} s after sending ({} s) with {unpublished} unpublished, {in_queue} of {} \
                 in RabbitMQ, {at_hook} at the webhook; jobs {}; deliveries {}{}",
                draining.elapsed().as_secs(),
                sent_in.as_secs(),
                expected.len(),
                tally(
                    &pool,
                    "SELECT kind || ' ' || status, COUNT(*) FROM jobs GROUP BY 1"
                )
                .await,
                tally(
                    &pool,
                    "SELECT status, COUNT(*) FROM webhook_deliveries GROUP BY 1"
                )
                .await,
                procs.report(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages")
        .fetch_one(&pool)
        .await
        .unwrap();
    let received = expected.len();
    let summary = format!(
        "kill test: {MESSAGES} messages sent in {} s, drained in {} s, {serve_kills} serve and \
         {work_kills} work kills, {} resends; stored {stored}; message.received {received}; \
         RabbitMQ {} ({} duplicates); webhook {} ({} duplicates)",
        sent_in.as_secs(),
        draining.elapsed().as_secs(),
        resends.load(Ordering::Relaxed),
        queued.total(),
        queued.total() - queued.unique().len(),
        hooked.total(),
        hooked.total() - hooked.unique().len(),
    );
    eprintln!("{summary}");
    // Every message once, with one `message.received` each.
    if stored != MESSAGES as i64 || received != MESSAGES {
        return Err(format!("{summary}{}", procs.report()));
    }
    let _ = stop_probe.send(true);
    pool.close().await;
    drop(procs);
    // The exchange and every queue on it go with the test: Ventros' consumers' and the probe's.
    let store: Arc<dyn Store> = Arc::new(
        ventros_storage_postgres::PgStore::connect(&app_url, 1)
            .await
            .unwrap(),
    );
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let mut queues = ventros_server::consumers(&store, &clock);
    queues.push(Arc::new(Probe(queued)));
    ventros_bus_rabbitmq::RabbitConsumers::new(bus, queues)
        .delete_topology()
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// `label: count` for each row of a `SELECT label, COUNT(*)` query.
async fn tally(pool: &sqlx::PgPool, sql: &'static str) -> String {
    match sqlx::query(sql).fetch_all(pool).await {
        Ok(rows) => rows
            .iter()
            .map(|r| format!("{}: {}", r.get::<String, _>(0), r.get::<i64, _>(1)))
            .collect::<Vec<_>>()
            .join(", "),
        Err(e) => e.to_string(),
    }
}
