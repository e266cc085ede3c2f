//! `bench events`: how fast events leave Ventros.
//!
//! 1. **Relay → RabbitMQ**: N customer messages go through the ingest use case (each writes
//!    several events); the outbox relay then publishes them all to RabbitMQ with publisher
//!    confirms. Baseline: the same envelopes published by the same publisher straight from
//!    memory (no claim, no mark), i.e. the broker's confirmed-publish ceiling.
//! 2. **Webhook fan-out**: a subscription to `message.received` at a local sink; the relay's
//!    fan-out stores one delivery per event and the job runner signs and posts them. Baseline:
//!    the same number of signed posts made directly with the same HTTP client.
//!
//! Each part then runs again at a steady `LAG_RATE` messages per second with the relay (and
//! the job runner) running as in `ventros work`, and reports each event's lag from its
//! creation (its UUIDv7 id) to the broker's confirm or the sink's receipt, p50 and p99,
//! against one confirmed publish or one signed post alone.

use crate::db::{Db, ingest_one, tenant_and_channel};
use crate::measure::{drive, ms};
use anyhow::bail;
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;
use ventros_app::actor::Actor;
use ventros_app::error::AppResult;
use ventros_app::page::PageRequest;
use ventros_app::ports::{
    Clock, EventConsumer, EventFilter, EventPublisher, SignedPost, Store, SystemClock,
    WebhookSender,
};
use ventros_waha::sample;
use ventros_workers::{InProcessBus, JobRunner, JobRunnerConfig, OutboxRelay, RelayConfig};

/// A queue bound to the exchange that nobody reads during the run.
struct Unread;

#[async_trait]
impl EventConsumer for Unread {
    fn name(&self) -> &'static str {
        "bench_unread"
    }
    async fn handle(&self, _e: &ventros_domain::event::EventEnvelope) -> AppResult<()> {
        Ok(())
    }
}

/// `n` customer messages on `channel` through the ingest use case.
async fn messages(
    store: &Arc<dyn Store>,
    channel: &ventros_app::ports::WebhookChannel,
    n: usize,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp();
    for i in 0..n {
        let body = sample::text_message(
            Some(&format!("evt_ev_{i}")),
            &format!("5541{i:09}"),
            &format!("EV{i:08}"),
            false,
            "Quero saber o preço",
            now,
        );
        ingest_one(store.as_ref(), &SystemClock, channel, &body).await?;
    }
    Ok(())
}

/// Every event of the tenant, in outbox order.
async fn all_events(
    store: &Arc<dyn Store>,
    scope: ventros_domain::tenancy::Scope,
) -> anyhow::Result<Vec<ventros_domain::event::EventEnvelope>> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = store
            .list_events(
                scope,
                &EventFilter::default(),
                PageRequest::new(Some(200), cursor.as_deref())
                    .map_err(|e| anyhow::anyhow!("{e}"))?,
            )
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        out.extend(page.data);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => return Ok(out),
        }
    }
}

/// Milliseconds from an event's creation (its id is a UUIDv7) to now.
fn lag_ms(id: uuid::Uuid) -> Option<f64> {
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    let born = secs as f64 * 1000.0 + f64::from(nanos) / 1e6;
    let now = chrono::Utc::now();
    Some(now.timestamp_micros() as f64 / 1000.0 - born)
}

/// p50 and p99 of `v` (milliseconds).
fn p50_p99(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        v.get(((v.len().max(1) - 1) as f64 * q).round() as usize)
            .copied()
            .unwrap_or_default()
    };
    (pick(0.5), pick(0.99))
}

/// Publishes through `inner` and notes each confirmed event's lag.
struct LagPublisher {
    inner: Arc<dyn EventPublisher>,
    lags: std::sync::Mutex<Vec<f64>>,
}

#[async_trait]
impl EventPublisher for LagPublisher {
    async fn publish(&self, e: &ventros_domain::event::EventEnvelope) -> AppResult<()> {
        self.inner.publish(e).await?;
        if let (Some(l), Ok(mut v)) = (lag_ms(e.id.0), self.lags.lock()) {
            v.push(l);
        }
        Ok(())
    }
}

/// `n` customer messages at `per_second`, each as its time comes.
async fn paced_messages(
    store: &Arc<dyn Store>,
    channel: &ventros_app::ports::WebhookChannel,
    n: usize,
    per_second: f64,
) -> anyhow::Result<()> {
    let start = tokio::time::Instant::now();
    let now = chrono::Utc::now().timestamp();
    for i in 0..n {
        tokio::time::sleep_until(start + std::time::Duration::from_secs_f64(i as f64 / per_second))
            .await;
        let body = sample::text_message(
            Some(&format!("evt_lag_{i}")),
            &format!("5542{i:09}"),
            &format!("LAG{i:08}"),
            false,
            "Quero saber o preço",
            now,
        );
        ingest_one(store.as_ref(), &SystemClock, channel, &body).await?;
    }
    Ok(())
}

fn relay(store: &Arc<dyn Store>, bus: Arc<dyn EventPublisher>) -> OutboxRelay {
    OutboxRelay::new(
        store.clone(),
        bus,
        Arc::new(SystemClock),
        RelayConfig::default(),
    )
}

/// The steady load the lag is measured under: a busy WhatsApp line, well below the
/// throughput measured on a backlog.
const LAG_RATE: f64 = 100.0;

/// Waits (polling, this is a benchmark) until `done` holds, for at most a minute.
async fn until(mut done: impl FnMut() -> bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        if Instant::now() > deadline {
            bail!("the steady run did not finish within a minute");
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    Ok(())
}

pub async fn events(
    backend: &str,
    messages_n: usize,
    amqp: Option<&str>,
    pg_admin: Option<&str>,
) -> anyhow::Result<String> {
    let mut out = format!("bench events: backend={backend} messages={messages_n}\n");

    // 1. Relay → RabbitMQ, when a broker is given.
    if let Some(url) = amqp {
        let cfg = ventros_bus_rabbitmq::BusConfig {
            exchange: format!("ventros.bench.{}", uuid::Uuid::now_v7().simple()),
            ..ventros_bus_rabbitmq::BusConfig::new(url)
        };
        // One bound queue, so publishes are routable (nobody reads it during the run).
        ventros_bus_rabbitmq::RabbitConsumers::new(cfg.clone(), vec![Arc::new(Unread)])
            .declare_topology()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let (db, _) = Db::open(backend, pg_admin).await?;
        let store = db.store();
        let (scope, channel) = tenant_and_channel(store.as_ref()).await?;
        messages(&store, &channel, messages_n).await?;
        let envelopes = all_events(&store, scope).await?;
        let n = envelopes.len();
        let publisher: Arc<dyn EventPublisher> =
            Arc::new(ventros_bus_rabbitmq::RabbitPublisher::new(cfg.clone()));
        let started = Instant::now();
        let published = relay(&store, publisher.clone())
            .run_until_idle()
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let relay_time = started.elapsed();
        if published != n {
            bail!("the relay published {published} of {n} events");
        }
        db.close().await;
        let started = Instant::now();
        for e in &envelopes {
            publisher
                .publish(e)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let raw_time = started.elapsed();
        let rate = |t: std::time::Duration| n as f64 / t.as_secs_f64().max(1e-9);
        out.push_str(&format!(
            "relay → RabbitMQ: {n} events in {:.2} s ({:.0} events/s) | confirmed publishes alone: {:.0} events/s | relay throughput {:.2}x the publisher's\n",
            relay_time.as_secs_f64(),
            rate(relay_time),
            rate(raw_time),
            rate(relay_time) / rate(raw_time).max(1e-9)
        ));
        // The same relay, running, under a steady load.
        let (db, _) = Db::open(backend, pg_admin).await?;
        let storage = db.storage();
        let store = storage.store.clone();
        let (_, channel) = tenant_and_channel(store.as_ref()).await?;
        let timed = Arc::new(LagPublisher {
            inner: publisher.clone(),
            lags: std::sync::Mutex::new(Vec::new()),
        });
        let running =
            Arc::new(relay(&store, timed.clone()).woken_by(storage.outbox_signal.clone()));
        let (stop, rx) = tokio::sync::watch::channel(false);
        let task = {
            let r = running.clone();
            tokio::spawn(async move { r.run(rx).await })
        };
        paced_messages(&store, &channel, messages_n, LAG_RATE).await?;
        let expected = n;
        until(|| {
            timed
                .lags
                .lock()
                .map(|v| v.len() >= expected)
                .unwrap_or(true)
        })
        .await?;
        let _ = stop.send(true);
        let _ = task.await;
        db.close().await;
        let lags = timed.lags.lock().map(|v| v.clone()).unwrap_or_default();
        let (p50, p99) = p50_p99(lags);
        let one = ms(raw_time) / n.max(1) as f64;
        out.push_str(&format!(
            "relay → RabbitMQ at {LAG_RATE:.0} msg/s: lag from commit to confirm p50 {p50:.1} ms, p99 {p99:.1} ms | one confirmed publish alone {one:.2} ms | p99 {:.1}x it\n",
            p99 / one.max(1e-9)
        ));
    }

    // 2. Webhook fan-out and delivery.
    let got = Arc::new(AtomicUsize::new(0));
    let lags = Arc::new(std::sync::Mutex::new(Vec::<f64>::new()));
    let (count, seen) = (got.clone(), lags.clone());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let (count, seen) = (count.clone(), seen.clone());
            async move {
                let id = serde_json::from_slice::<serde_json::Value>(&body)
                    .ok()
                    .and_then(|v| v["id"].as_str().and_then(|s| s.parse().ok()));
                if let (Some(l), Ok(mut v)) = (id.and_then(lag_ms), seen.lock()) {
                    v.push(l);
                }
                count.fetch_add(1, Ordering::Relaxed);
                "ok"
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let hook_url = format!("http://{}/hook", l.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    let sender: Arc<dyn WebhookSender> = Arc::new(
        ventros_webhooks::HttpWebhookSender::new(ventros_webhooks::SenderConfig {
            allow_private: true,
            ..Default::default()
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?,
    );
    let (db, _) = Db::open(backend, pg_admin).await?;
    let store = db.store();
    let (scope, wc) = tenant_and_channel(store.as_ref()).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    ventros_app::usecases::webhooks::create_subscription(
        store.as_ref(),
        sender.as_ref(),
        clock.as_ref(),
        &Actor::system(scope, "bench"),
        ventros_app::usecases::webhooks::UrlPolicy {
            allow_http: true,
            allow_private: true,
        },
        ventros_app::usecases::webhooks::NewSubscription {
            url: hook_url.clone(),
            events: vec!["message.received".into()],
            description: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The subscription's own event is published first, out of the measurement.
    let fan_out = InProcessBus::new().subscribe(Arc::new(ventros_workers::WebhookFanOut::new(
        store.clone(),
        clock.clone(),
    )));
    let bus: Arc<dyn EventPublisher> = Arc::new(fan_out);
    let bus_for_lag = bus.clone();
    relay(&store, bus.clone())
        .run_until_idle()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    messages(&store, &wc, messages_n).await?;
    let started = Instant::now();
    relay(&store, bus)
        .run_until_idle()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let runner = JobRunner::new(store.clone(), clock.clone(), JobRunnerConfig::default()).handle(
        Arc::new(ventros_app::usecases::webhook_delivery::DeliveryHandler {
            store: store.clone(),
            sender: sender.clone(),
            clock: clock.clone(),
            disable_after_hours: 120,
            user_agent: "Ventros/bench".into(),
            max_in_flight: 4,
        }),
    );
    runner
        .run_until_idle()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let fan_time = started.elapsed();
    let delivered = got.load(Ordering::Relaxed);
    if delivered != messages_n {
        bail!("the sink got {delivered} of {messages_n} deliveries");
    }
    // The relay and the runner running as in `ventros work`, under a steady load.
    if let Ok(mut v) = lags.lock() {
        v.clear();
    }
    let storage = db.storage();
    let running = Arc::new(relay(&store, bus_for_lag).woken_by(storage.outbox_signal.clone()));
    // Woken by the fan-out's commits, as in `ventros work`.
    let runner = Arc::new(runner.woken_by(storage.deliveries_signal.clone()));
    let (stop, rx) = tokio::sync::watch::channel(false);
    let tasks = {
        let (r, j, rx2) = (running.clone(), runner.clone(), rx.clone());
        [
            tokio::spawn(async move { r.run(rx).await }),
            tokio::spawn(async move { j.run(rx2).await }),
        ]
    };
    paced_messages(&store, &wc, messages_n, LAG_RATE).await?;
    until(|| got.load(Ordering::Relaxed) >= 2 * messages_n).await?;
    let _ = stop.send(true);
    for t in tasks {
        let _ = t.await;
    }
    db.close().await;
    let (lag50, lag99) = p50_p99(lags.lock().map(|v| v.clone()).unwrap_or_default());
    // Baseline: the same signed posts, straight.
    let body = vec![b'x'; 600];
    let base = {
        let (sender, url) = (sender.clone(), hook_url.clone());
        drive(messages_n, 1, move |i| {
            let (sender, url, body) = (sender.clone(), url.clone(), body.clone());
            async move {
                let id = format!("evt_{i}");
                let sig = ventros_app::webhook_signing::signature_header(
                    ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"],
                    &id,
                    0,
                    &body,
                );
                sender
                    .post(&SignedPost {
                        url,
                        headers: vec![("webhook-id".into(), id), ("webhook-signature".into(), sig)],
                        body,
                    })
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                Ok(())
            }
        })
        .await?
    };
    let rate = messages_n as f64 / fan_time.as_secs_f64().max(1e-9);
    out.push_str(&format!(
        "webhooks: {messages_n} message.received fanned out and delivered in {:.2} s ({:.0} deliveries/s) | signed posts alone: {:.0}/s (p50 {:.2} ms) | delivery throughput {:.2}x the posts'\n",
        fan_time.as_secs_f64(),
        rate,
        base.rate(),
        ms(base.p50),
        rate / base.rate().max(1e-9)
    ));
    out.push_str(&format!(
        "webhooks at {LAG_RATE:.0} msg/s: lag from commit to the endpoint p50 {lag50:.1} ms, p99 {lag99:.1} ms | a signed post alone p99 {:.2} ms | p99 {:.1}x it\n",
        ms(base.p99),
        lag99 / ms(base.p99).max(1e-9)
    ));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_events_bench_delivers_every_webhook_on_sqlite() {
        let report = events("sqlite", 20, None, None)
            .await
            .map_err(|e| e.to_string());
        let report = report.unwrap_or_else(|e| panic!("{e}"));
        assert!(
            report.contains("20 message.received fanned out"),
            "{report}"
        );
        assert!(report.contains("webhooks at 100 msg/s: lag"), "{report}");
    }
}
