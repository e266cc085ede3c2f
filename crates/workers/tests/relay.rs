#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]
//! The outbox relay with the in-process bus, on a real SQLite store and a fixed clock.

use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use ventros_app::AppError;
use ventros_app::error::AppResult;
use ventros_app::page::PageRequest;
use ventros_app::ports::WebhookDecoder;
use ventros_app::ports::{ContactEventFilter, EventConsumer, FixedClock, Store};
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_app::usecases::ingest::ingest_webhook;
use ventros_domain::event::{EventContext, EventEnvelope};
use ventros_domain::tenancy::Scope;
use ventros_storage_sqlite::SqliteStore;
use ventros_testkit::TempDir;
use ventros_waha::{WahaDecoder, sample};
use ventros_workers::{InProcessBus, OutboxRelay, RelayConfig, TimelineConsumer};

async fn setup() -> (Arc<dyn Store>, Arc<FixedClock>, Scope, TempDir) {
    let dir = TempDir::new("ventros-relay");
    let s = SqliteStore::connect(&dir.sqlite_url("r.db")).await.unwrap();
    s.migrate().await.unwrap();
    let store: Arc<dyn Store> = Arc::new(s);
    let clock = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().unwrap(),
    ));
    let t = create_tenant(
        store.as_ref(),
        clock.as_ref(),
        CreateTenant {
            name: "acme".into(),
            admin_email: "a@acme.example".into(),
            admin_name: None,
            admin_password: "long enough pw".into(),
        },
    )
    .await
    .unwrap();
    let scope = Scope {
        tenant_id: t.tenant_id,
        project_id: t.project_id,
    };
    let ch = create_channel(
        store.as_ref(),
        clock.as_ref(),
        &ventros_app::actor::Actor::system(scope, "test"),
        CreateChannel {
            name: "n".into(),
            waha_base_url: "http://w:3000".into(),
            waha_api_key: "k".into(),
            waha_session: "default".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let wch = store.webhook_channel(ch.id).await.unwrap().unwrap();
    let body = sample::text_message(
        Some("evt_1"),
        "5511999998888",
        "R1",
        false,
        "hi",
        1_700_000_000,
    );
    ingest_webhook(
        store.as_ref(),
        clock.as_ref(),
        &wch,
        WahaDecoder.decode(&body).unwrap(),
        &EventContext::default(),
    )
    .await
    .unwrap();
    (store, clock, scope, dir)
}

/// Records what it saw; fails while `fail` is set.
struct Probe {
    seen: Mutex<Vec<String>>,
    fail: AtomicBool,
    calls: AtomicUsize,
}

/// A relay publishing to the timeline consumer and a probe that fails while `failing`.
fn relay(
    store: &Arc<dyn Store>,
    clock: &Arc<FixedClock>,
    failing: bool,
    batch: u32,
) -> (OutboxRelay, Arc<Probe>) {
    let probe = Arc::new(Probe {
        seen: Mutex::new(vec![]),
        fail: AtomicBool::new(failing),
        calls: AtomicUsize::new(0),
    });
    let bus = InProcessBus::new()
        .subscribe(Arc::new(TimelineConsumer::new(store.clone())))
        .subscribe(probe.clone());
    let relay = OutboxRelay::new(
        store.clone(),
        Arc::new(bus),
        clock.clone(),
        RelayConfig {
            batch,
            ..Default::default()
        },
    );
    (relay, probe)
}

#[async_trait]
impl EventConsumer for Probe {
    fn name(&self) -> &'static str {
        "probe"
    }
    async fn handle(&self, e: &EventEnvelope) -> AppResult<()> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) {
            return Err(AppError::Unavailable("probe down".into()));
        }
        self.seen.lock().unwrap().push(e.event_type.clone());
        Ok(())
    }
}

#[tokio::test]
async fn relay_publishes_in_order_and_feeds_the_timeline() {
    let (store, clock, scope, _dir) = setup().await;
    let (relay, probe) = relay(&store, &clock, false, 2);
    assert_eq!(relay.run_until_idle().await.unwrap(), 6);
    assert_eq!(
        *probe.seen.lock().unwrap(),
        vec![
            "tenant.created",
            "channel.created",
            "contact.created",
            "chat.created",
            "session.started",
            "message.received"
        ]
    );
    assert_eq!(relay.run_until_idle().await.unwrap(), 0);
    assert_eq!(store.outbox_backlog().await.unwrap().0, 0);
    let contact = store
        .search_contacts(scope.tenant_id, &Default::default(), PageRequest::first(10))
        .await
        .unwrap()
        .data
        .remove(0);
    let tl = store
        .list_contact_events(
            scope,
            contact.id,
            &ContactEventFilter::default(),
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(
        tl.iter().map(|e| e.category.as_str()).collect::<Vec<_>>(),
        vec!["lifecycle", "conversation"]
    );
}

#[tokio::test]
async fn a_failing_consumer_keeps_events_until_it_recovers_and_others_do_not_repeat() {
    let (store, clock, scope, _dir) = setup().await;
    let (relay, probe) = relay(&store, &clock, true, RelayConfig::default().batch);
    assert!(relay.run_once().await.is_err());
    assert_eq!(
        store.outbox_backlog().await.unwrap().0,
        6,
        "nothing marked published"
    );
    // Leased: nothing to do until the lease runs out.
    probe.fail.store(false, Ordering::SeqCst);
    assert_eq!(relay.run_once().await.unwrap(), 0);
    clock.advance(Duration::seconds(31));
    assert_eq!(relay.run_until_idle().await.unwrap(), 6);
    assert_eq!(store.outbox_backlog().await.unwrap().0, 0);
    // The timeline consumer saw the first event twice but wrote it once.
    let contact = store
        .search_contacts(scope.tenant_id, &Default::default(), PageRequest::first(10))
        .await
        .unwrap()
        .data
        .remove(0);
    let tl = store
        .list_contact_events(
            scope,
            contact.id,
            &ContactEventFilter::default(),
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .data;
    assert_eq!(tl.len(), 2);
    assert_eq!(probe.seen.lock().unwrap().len(), 6);
    assert_eq!(
        probe.calls.load(Ordering::SeqCst),
        7,
        "one failed call, none while leased, six after recovery"
    );
}
