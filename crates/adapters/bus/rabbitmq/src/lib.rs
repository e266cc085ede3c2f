//! RabbitMQ as Ventros' event bus (`VENTROS_AMQP_URL`).
//!
//! - [`RabbitPublisher`] is the outbox relay's publisher: every event goes to the durable topic
//!   exchange (`ventros.events`) with the event type as routing key, persistent, with publisher
//!   confirms and `mandatory`: `publish` returns only once the broker confirmed it, so an outbox
//!   row is marked published only then. A nack, an unroutable return or a lost connection is an
//!   error: the row stays and the relay tries again (reconnecting first).
//! - [`RabbitConsumers`] runs Ventros' own consumers, each on its own quorum queue
//!   (`ventros.events.<consumer>`) bound to the exchange with `#`, manual acks, a prefetch, and
//!   a delivery limit after which a message goes to the dead-letter exchange. Consumers
//!   deduplicate on (event id, consumer) as they do in process.
//!
//! The topology is documented in `docs/EVENTS.md` so other teams can bind their own queues.

use async_trait::async_trait;
use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicPublishOptions, BasicQosOptions,
    BasicRejectOptions, ConfirmSelectOptions, ExchangeDeclareOptions, QueueBindOptions,
    QueueDeclareOptions,
};
use lapin::types::{AMQPValue, FieldTable, LongString, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Mutex, watch};
use ventros_app::error::{AppError, AppResult};
use ventros_app::ports::{EventConsumer, EventPublisher};
use ventros_domain::event::EventEnvelope;

/// Where the bus is and how its queues behave.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// `amqp://user:pass@host:5672/vhost`.
    pub url: String,
    /// The topic exchange events are published to; the dead-letter exchange is
    /// `<exchange>.dead-letter`, each consumer's queue `<exchange>.<consumer>`.
    pub exchange: String,
    /// Unacknowledged deliveries a consumer holds at once.
    pub prefetch: u16,
    /// Deliveries of one message to a consumer before it is dead-lettered.
    pub delivery_limit: i64,
}

impl BusConfig {
    pub fn new(url: &str) -> Self {
        BusConfig {
            url: url.to_string(),
            exchange: "ventros.events".into(),
            prefetch: 32,
            delivery_limit: 20,
        }
    }

    pub fn dead_letter_exchange(&self) -> String {
        format!("{}.dead-letter", self.exchange)
    }

    pub fn queue_of(&self, consumer: &str) -> String {
        format!("{}.{consumer}", self.exchange)
    }
}

fn bus_err(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Unavailable(format!("RabbitMQ {what}: {e}"))
}

/// A connection and a channel on it, with both exchanges declared.
async fn open(cfg: &BusConfig, confirms: bool) -> lapin::Result<(Connection, Channel)> {
    let conn = Connection::connect(&cfg.url, ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    if confirms {
        ch.confirm_select(ConfirmSelectOptions::default()).await?;
    }
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    ch.exchange_declare(
        cfg.exchange.as_str().into(),
        ExchangeKind::Topic,
        durable,
        FieldTable::default(),
    )
    .await?;
    ch.exchange_declare(
        cfg.dead_letter_exchange().as_str().into(),
        ExchangeKind::Fanout,
        durable,
        FieldTable::default(),
    )
    .await?;
    Ok((conn, ch))
}

/// Publishes events with publisher confirms; reconnects on the next publish after a failure.
pub struct RabbitPublisher {
    cfg: BusConfig,
    link: Mutex<Option<(Connection, Channel)>>,
}

fn text(s: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(s.to_string()))
}

/// The message of an event: the envelope as JSON, its id as `message_id`, and the headers
/// other consumers route and filter on.
fn message(e: &EventEnvelope) -> AppResult<(Vec<u8>, BasicProperties)> {
    let body = serde_json::to_vec(e).map_err(|x| AppError::internal(format!("event: {x}")))?;
    let mut headers = FieldTable::default();
    headers.insert("tenant_id".into(), text(&e.tenant_id.to_string()));
    headers.insert("type".into(), text(&e.event_type));
    headers.insert("version".into(), AMQPValue::LongInt(e.version));
    if let Some(c) = &e.correlation_id {
        headers.insert("correlation_id".into(), text(c));
    }
    let props = BasicProperties::default()
        .with_delivery_mode(2)
        .with_message_id(ShortString::from(e.id.to_string()))
        .with_content_type("application/json".into())
        .with_type(ShortString::from(e.event_type.clone()))
        .with_timestamp(u64::try_from(e.occurred_at.timestamp()).unwrap_or(0))
        .with_headers(headers);
    Ok((body, props))
}

impl RabbitPublisher {
    pub fn new(cfg: BusConfig) -> Self {
        RabbitPublisher {
            cfg,
            link: Mutex::new(None),
        }
    }

    async fn channel(&self) -> AppResult<Channel> {
        let mut link = self.link.lock().await;
        if let Some((_, ch)) = link.as_ref().filter(|(_, ch)| ch.status().connected()) {
            return Ok(ch.clone());
        }
        let (conn, ch) = open(&self.cfg, true)
            .await
            .map_err(|e| bus_err("connect", e))?;
        *link = Some((conn, ch.clone()));
        Ok(ch)
    }

    async fn forget(&self) {
        *self.link.lock().await = None;
    }

    /// Whether the broker can be reached now (for `/ready`).
    pub async fn ping(&self) -> AppResult<()> {
        self.channel().await.map(|_| ())
    }
}

#[async_trait]
impl EventPublisher for RabbitPublisher {
    fn transport(&self) -> &'static str {
        "rabbitmq"
    }

    async fn ready(&self) -> AppResult<()> {
        self.ping().await
    }

    async fn publish(&self, e: &EventEnvelope) -> AppResult<()> {
        let (body, props) = message(e)?;
        let ch = self.channel().await?;
        let sent = ch
            .basic_publish(
                self.cfg.exchange.as_str().into(),
                e.event_type.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                &body,
                props,
            )
            .await;
        let confirm = match sent {
            Ok(pending) => pending.await,
            Err(x) => Err(x),
        };
        match confirm {
            Ok(c) if c.is_nack() => Err(bus_err("publish", "the broker refused (nack)")),
            Ok(c) => match c.take_message() {
                Some(_) => Err(bus_err(
                    "publish",
                    "unroutable: no queue is bound for this event",
                )),
                None => Ok(()),
            },
            Err(x) => {
                // The link is broken or in doubt: the next publish opens a new one.
                self.forget().await;
                Err(bus_err("publish", x))
            }
        }
    }
}

/// Ventros' own consumers, each on its quorum queue.
pub struct RabbitConsumers {
    cfg: BusConfig,
    consumers: Vec<Arc<dyn EventConsumer>>,
}

impl RabbitConsumers {
    pub fn new(cfg: BusConfig, consumers: Vec<Arc<dyn EventConsumer>>) -> Self {
        RabbitConsumers { cfg, consumers }
    }

    /// Declares the exchanges and every consumer's queue on a connection of its own, so that
    /// what the relay publishes from now on is routable even before anyone consumes.
    pub async fn declare_topology(&self) -> AppResult<()> {
        let (conn, ch) = open(&self.cfg, false)
            .await
            .map_err(|e| bus_err("connect", e))?;
        self.declare(&ch).await.map_err(|e| bus_err("declare", e))?;
        let _ = conn.close(200, "declared".into()).await;
        Ok(())
    }

    /// Deletes what [`declare_topology`](Self::declare_topology) declares: each consumer's
    /// queue, the dead-letter queue and both exchanges, messages and all. For tests, and for
    /// retiring an exchange that nothing publishes to any more.
    pub async fn delete_topology(&self) -> AppResult<()> {
        let (conn, ch) = open(&self.cfg, false)
            .await
            .map_err(|e| bus_err("connect", e))?;
        let dead = self.cfg.dead_letter_exchange();
        let queues = self.consumers.iter().map(|c| self.cfg.queue_of(c.name()));
        for q in queues.chain([dead.clone()]) {
            ch.queue_delete(q.as_str().into(), Default::default())
                .await
                .map_err(|e| bus_err("delete queue", e))?;
        }
        for x in [&self.cfg.exchange, &dead] {
            ch.exchange_delete(x.as_str().into(), Default::default())
                .await
                .map_err(|e| bus_err("delete exchange", e))?;
        }
        let _ = conn.close(200, "deleted".into()).await;
        Ok(())
    }

    /// Declares each consumer's queue (and the dead-letter queue) and binds it, so events
    /// published from now on reach it even before it consumes.
    async fn declare(&self, ch: &Channel) -> lapin::Result<()> {
        let durable = QueueDeclareOptions {
            durable: true,
            ..Default::default()
        };
        let dead = self.cfg.dead_letter_exchange();
        ch.queue_declare(dead.as_str().into(), durable, quorum(None, None))
            .await?;
        ch.queue_bind(
            dead.as_str().into(),
            dead.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
        for c in &self.consumers {
            let q = self.cfg.queue_of(c.name());
            let args = quorum(Some(&dead), Some(self.cfg.delivery_limit));
            ch.queue_declare(q.as_str().into(), durable, args).await?;
            ch.queue_bind(
                q.as_str().into(),
                self.cfg.exchange.as_str().into(),
                "#".into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        }
        Ok(())
    }

    /// Consumes until `stop`, reconnecting with backoff when the broker goes away.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        const FIRST: Duration = Duration::from_millis(500);
        let mut backoff = FIRST;
        loop {
            let began = tokio::time::Instant::now();
            let outcome = tokio::select! {
                r = self.consume() => r,
                _ = stop.changed() => return,
            };
            if *stop.borrow() {
                return;
            }
            if let Err(e) = outcome {
                tracing::warn!(error = %e, "RabbitMQ consumers lost the broker; reconnecting");
            }
            // A connection that lived a while was a recovery: the next outage starts over.
            if began.elapsed() >= Duration::from_secs(30) {
                backoff = FIRST;
            }
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stop.changed() => return,
            }
            backoff = (backoff * 2).min(Duration::from_secs(30));
        }
    }

    /// One connection's life: every consumer's deliveries, until the connection fails.
    async fn consume(&self) -> lapin::Result<()> {
        let (_conn, ch) = open(&self.cfg, false).await?;
        self.declare(&ch).await?;
        ch.basic_qos(self.cfg.prefetch, BasicQosOptions::default())
            .await?;
        let mut tasks = tokio::task::JoinSet::new();
        for c in &self.consumers {
            let q = self.cfg.queue_of(c.name());
            let mut deliveries = ch
                .basic_consume(
                    q.as_str().into(),
                    format!("ventros-{}", c.name()).as_str().into(),
                    BasicConsumeOptions::default(),
                    FieldTable::default(),
                )
                .await?;
            let c = c.clone();
            tasks.spawn(async move {
                while let Some(d) = deliveries.next().await {
                    let d = d?;
                    match serde_json::from_slice::<EventEnvelope>(&d.data) {
                        Ok(e) => match c.handle(&e).await {
                            Ok(()) => {
                                d.ack(BasicAckOptions::default()).await?;
                            }
                            Err(err) => {
                                // Back in the queue; the queue's delivery limit dead-letters
                                // it if it keeps failing.
                                tracing::warn!(consumer = c.name(), event = %e.id, error = %err, "consumer failed; redelivering");
                                d.nack(BasicNackOptions {
                                    requeue: true,
                                    ..Default::default()
                                })
                                .await?;
                            }
                        },
                        Err(err) => {
                            tracing::warn!(consumer = c.name(), error = %err, "not an event envelope; dead-lettered");
                            d.reject(BasicRejectOptions { requeue: false }).await?;
                        }
                    }
                }
                Ok::<(), lapin::Error>(())
            });
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(join) => {
                    tracing::warn!(error = %join, "a RabbitMQ consumer task stopped");
                }
            }
        }
        Ok(())
    }
}

/// Arguments of a quorum queue, dead-lettering to `dlx` after `limit` deliveries.
fn quorum(dlx: Option<&str>, limit: Option<i64>) -> FieldTable {
    let mut t = FieldTable::default();
    t.insert("x-queue-type".into(), text("quorum"));
    if let Some(x) = dlx {
        t.insert("x-dead-letter-exchange".into(), text(x));
    }
    if let Some(l) = limit {
        t.insert("x-delivery-limit".into(), AMQPValue::LongLongInt(l));
    }
    t
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex as StdMutex;
    use tokio::sync::mpsc;
    use ventros_domain::event::{EventContext, EventType};
    use ventros_domain::ids::{ProjectId, TenantId};

    fn event(n: usize) -> EventEnvelope {
        EventEnvelope::new(
            &EventContext {
                source: "test".into(),
                correlation_id: Some(format!("corr-{n}")),
                causation_id: None,
            },
            TenantId::new(),
            ProjectId::new(),
            EventType::MessageReceived,
            uuid::Uuid::now_v7(),
            chrono::Utc::now(),
            serde_json::json!({"n": n}),
        )
    }

    /// Records what it handled; fails the first delivery of each event when `flaky`, and
    /// deduplicates on the event id as Ventros' consumers do.
    struct Recorder {
        flaky: bool,
        tries: StdMutex<HashMap<String, usize>>,
        handled: mpsc::UnboundedSender<EventEnvelope>,
    }

    #[async_trait]
    impl EventConsumer for Recorder {
        fn name(&self) -> &'static str {
            "recorder"
        }
        async fn handle(&self, e: &EventEnvelope) -> AppResult<()> {
            let n = {
                let mut t = self.tries.lock().unwrap();
                let n = t.entry(e.id.to_string()).or_default();
                *n += 1;
                *n
            };
            if self.flaky && n == 1 {
                return Err(AppError::internal("crashed before the ack"));
            }
            if n == 1 || self.flaky && n == 2 {
                let _ = self.handled.send(e.clone());
            }
            Ok(())
        }
    }

    fn config(url: &str) -> BusConfig {
        BusConfig {
            exchange: format!("ventros.test.{}", uuid::Uuid::now_v7().simple()),
            ..BusConfig::new(url)
        }
    }

    /// The consumers of a test: one recorder.
    fn recorder(
        cfg: &BusConfig,
        flaky: bool,
    ) -> (RabbitConsumers, mpsc::UnboundedReceiver<EventEnvelope>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let r = Recorder {
            flaky,
            tries: StdMutex::new(HashMap::new()),
            handled: tx,
        };
        (RabbitConsumers::new(cfg.clone(), vec![Arc::new(r)]), rx)
    }

    async fn teardown(cfg: &BusConfig) {
        recorder(cfg, false).0.delete_topology().await.unwrap();
    }

    /// Starts the consumers on a fresh topology; the stop switch and what they handle.
    async fn consuming(
        cfg: &BusConfig,
        flaky: bool,
    ) -> (watch::Sender<bool>, mpsc::UnboundedReceiver<EventEnvelope>) {
        let (c, rx) = recorder(cfg, flaky);
        c.declare_topology().await.unwrap();
        let (stop, rx_stop) = watch::channel(false);
        tokio::spawn(c.run(rx_stop));
        (stop, rx)
    }

    async fn next(rx: &mut mpsc::UnboundedReceiver<EventEnvelope>) -> EventEnvelope {
        tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the consumer got it in time")
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn confirmed_events_reach_the_consumer_queue_in_order() {
        let Some(url) = ventros_testkit::amqp_url("rabbitmq bus") else {
            return;
        };
        let _shared = BROKER.read().await;
        let cfg = config(&url);
        let (stop, mut rx) = consuming(&cfg, false).await;
        let publisher = RabbitPublisher::new(cfg.clone());
        publisher.ping().await.unwrap();
        let sent: Vec<EventEnvelope> = (0..3).map(event).collect();
        for e in &sent {
            publisher.publish(e).await.unwrap();
        }
        for e in &sent {
            assert_eq!(&next(&mut rx).await, e, "the whole envelope, in order");
        }
        let _ = stop.send(true);
        teardown(&cfg).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_consumer_failure_redelivers_and_the_event_is_handled_once() {
        let Some(url) = ventros_testkit::amqp_url("rabbitmq bus") else {
            return;
        };
        let _shared = BROKER.read().await;
        let cfg = config(&url);
        let (stop, mut rx) = consuming(&cfg, true).await;
        let publisher = RabbitPublisher::new(cfg.clone());
        let e = event(1);
        publisher.publish(&e).await.unwrap();
        assert_eq!(next(&mut rx).await.id, e.id, "handled after the redelivery");
        assert!(
            tokio::time::timeout(Duration::from_millis(300), rx.recv())
                .await
                .is_err(),
            "and only once"
        );
        let _ = stop.send(true);
        teardown(&cfg).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unroutable_event_is_an_error_and_a_lost_link_is_reopened() {
        let Some(url) = ventros_testkit::amqp_url("rabbitmq bus") else {
            return;
        };
        let _shared = BROKER.read().await;
        let cfg = config(&url);
        let publisher = RabbitPublisher::new(cfg.clone());
        // No queue is bound yet: the broker returns it, so the outbox row would stay.
        let e = event(1);
        assert!(publisher.publish(&e).await.is_err(), "unroutable");
        let (stop, mut rx) = consuming(&cfg, false).await;
        publisher.publish(&e).await.unwrap();
        assert_eq!(next(&mut rx).await.id, e.id);
        // The broker drops the connection (a restart): the next publish reconnects.
        let conn_closed = {
            let link = publisher.link.lock().await;
            let (conn, _) = link.as_ref().unwrap();
            conn.close(320, "broker restart".into()).await.is_ok()
        };
        assert!(conn_closed);
        let again = event(2);
        let first = publisher.publish(&again).await;
        if first.is_err() {
            publisher.publish(&again).await.unwrap();
        }
        assert_eq!(next(&mut rx).await.id, again.id);
        let _ = stop.send(true);
        teardown(&cfg).await;
    }

    /// Broker tests share one RabbitMQ; the restart test has it to itself.
    static BROKER: std::sync::LazyLock<tokio::sync::RwLock<()>> =
        std::sync::LazyLock::new(|| tokio::sync::RwLock::new(()));

    /// `rabbitmqctl <args>` on the local broker; whether it succeeded (`None`: no
    /// rabbitmqctl here).
    async fn rabbitmqctl(args: &'static [&'static str]) -> Option<bool> {
        tokio::task::spawn_blocking(move || {
            std::process::Command::new("rabbitmqctl")
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status()
                .ok()
                .map(|s| s.success())
        })
        .await
        .unwrap()
    }

    /// Starts the broker's application again even when the test fails half way.
    struct Restarts;

    impl Drop for Restarts {
        fn drop(&mut self) {
            let _ = std::process::Command::new("rabbitmqctl")
                .args(["start_app"])
                .stdout(std::process::Stdio::null())
                .status();
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_broker_restart_mid_publish_loses_no_confirmed_event() {
        let Some(url) = ventros_testkit::amqp_url("rabbitmq bus") else {
            return;
        };
        // A real restart needs the broker on this machine (as in CI).
        if !url.contains("127.0.0.1") && !url.contains("localhost")
            || rabbitmqctl(&["status"]).await != Some(true)
        {
            eprintln!("skipped: no local RabbitMQ to restart with rabbitmqctl");
            return;
        }
        let _alone = BROKER.write().await;
        let cfg = config(&url);
        let (stop, mut rx) = consuming(&cfg, false).await;
        let publisher = Arc::new(RabbitPublisher::new(cfg.clone()));
        const N: usize = 300;
        let sent: Vec<EventEnvelope> = (0..N).map(event).collect();
        let (third, mut at_third) = mpsc::unbounded_channel::<()>();
        // The relay's way: an event not confirmed is published again, after a pause. After
        // the first third it publishes at a steady pace, so the restart lands mid-publish.
        let relay = {
            let (publisher, sent) = (publisher.clone(), sent.clone());
            tokio::spawn(async move {
                let mut failures = 0;
                for (i, e) in sent.iter().enumerate() {
                    while publisher.publish(e).await.is_err() {
                        failures += 1;
                        assert!(failures < 600, "the broker never came back");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    if i == N / 3 {
                        let _ = third.send(());
                    }
                    if i >= N / 3 {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                failures
            })
        };
        at_third.recv().await.unwrap();
        let restarted = Restarts;
        assert_eq!(rabbitmqctl(&["stop_app"]).await, Some(true));
        assert_eq!(rabbitmqctl(&["start_app"]).await, Some(true));
        drop(restarted);
        let failures = relay.await.unwrap();
        assert!(failures > 0, "publishing met the restart");
        let mut got = std::collections::HashSet::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        while got.len() < N {
            let e = tokio::time::timeout_at(deadline, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("{} of {N} events after the restart", got.len()))
                .unwrap();
            got.insert(e.id);
        }
        assert!(
            sent.iter().all(|e| got.contains(&e.id)),
            "every confirmed event"
        );
        let _ = stop.send(true);
        teardown(&cfg).await;
    }
}
