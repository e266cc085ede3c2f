//! `bench events`: how fast events leave Ventros.
//!
//! 1. **Relay → RabbitMQ**: N customer messages go through the ingest use case (each writes
//!    several events); the outbox relay then publishes them all to RabbitMQ with publisher
//!    confirms. Baseline: the same envelopes published by the same publisher straight from
//!    memory (no claim, no mark), i.e. the broker's confirmed-publish ceiling.
//! 2. **Webhook fan-out**: a subscription to `message.received` at a local sink; the relay's
//!    fan-out stores one delivery per event and the job runner signs and posts them. Baseline:
//!    the same number of signed posts made directly with the same HTTP client.

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

fn relay(store: &Arc<dyn Store>, bus: Arc<dyn EventPublisher>) -> OutboxRelay {
    OutboxRelay::new(
        store.clone(),
        bus,
        Arc::new(SystemClock),
        RelayConfig::default(),
    )
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
    }

    // 2. Webhook fan-out and delivery.
    let got = Arc::new(AtomicUsize::new(0));
    let count = got.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move || {
            let count = count.clone();
            async move {
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
    db.close().await;
    if delivered != messages_n {
        bail!("the sink got {delivered} of {messages_n} deliveries");
    }
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
    }
}
