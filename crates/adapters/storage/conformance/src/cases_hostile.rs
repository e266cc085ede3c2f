//! Hostile values in every numeric and string field of the real WAHA webhooks, through the
//! whole webhook use case (channel lookup, decode, ingest): every delivery gets an outcome,
//! none an error (a 5xx over HTTP), and what was stored reads back and runs its jobs.

use crate::cases_jobs::runner;
use crate::support::{DynStore, tenant};
use chrono::{TimeZone, Utc};
use std::sync::Arc;
use ventros_app::page::PageRequest;
use ventros_app::ports::{ConversationFilter, FixedClock, MessageFilter};
use ventros_app::usecases::ingest::{ReceiveError, WebhookRequest, receive_webhook};
use ventros_domain::job::JobStatus;
use ventros_testkit::hostile::{Mutator, cases, seed};
use ventros_testkit::{fixture, fixture_names};
use ventros_waha::WahaDecoder;

/// Walks every page of a list, failing the case on any read error.
macro_rules! read_all {
    ($what:literal, $call:expr) => {{
        let mut cursor: Option<String> = None;
        let mut n = 0usize;
        loop {
            let page = PageRequest::new(Some(200), cursor.as_deref()).unwrap();
            let p = $call(page)
                .await
                .unwrap_or_else(|e| panic!("reading {} back: {e:?}", $what));
            n += p.data.len();
            match p.next_cursor {
                Some(c) => cursor = Some(c),
                None => break n,
            }
        }
    }};
}

pub async fn hostile_webhooks_get_an_outcome_and_leave_readable_state(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let docs: Vec<serde_json::Value> = fixture_names("webhook-")
        .iter()
        .filter(|n| !n.contains("http-headers"))
        .map(|n| serde_json::from_slice(&fixture(n)).unwrap())
        .collect();
    let clock = FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap());
    let channel = t.channel.channel_id.to_string();
    let mut m = Mutator::new(seed());
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..cases(10_000) {
        let pick = m.pick(docs.len());
        let body = serde_json::to_vec(&m.mutate(&docs[pick])).unwrap();
        let req = WebhookRequest {
            channel_id: &channel,
            body: &body,
            signature: None,
            correlation_id: None,
        };
        let label = match receive_webhook(store.as_ref(), &WahaDecoder, &clock, req).await {
            Ok(r) => r.outcome.label().0.to_string(),
            Err(ReceiveError::Malformed(_)) => "malformed".into(),
            Err(e) => panic!(
                "case {i} (seed {}): {e:?} for {}",
                seed(),
                String::from_utf8_lossy(&body)
            ),
        };
        *outcomes.entry(label).or_default() += 1;
    }
    assert!(
        outcomes.get("processed").copied().unwrap_or(0) > 100,
        "most mutations still make real changes: {outcomes:?}"
    );

    let scope = t.scope;
    let all = ConversationFilter::default();
    read_all!("chats", |p| store.list_chats(scope, &all, p));
    read_all!("sessions", |p| store.list_sessions(scope, &all, p));
    let msgs = MessageFilter::default();
    read_all!("messages", |p| store.find_messages(scope, &msgs, p));
    let contacts = ventros_app::ports::ContactFilter::default();
    read_all!("contacts", |p| store.search_contacts(
        scope.tenant_id,
        &contacts,
        p
    ));
    let all_events = ventros_app::ports::EventFilter::default();
    read_all!("events", |p| store.list_events(scope, &all_events, p));

    // Every timer and window those deliveries armed, run far in the future: none fails.
    let later = Arc::new(FixedClock::new(
        Utc.with_ymd_and_hms(2101, 1, 1, 0, 0, 0).unwrap(),
    ));
    runner(&store, later).run_until_idle().await.unwrap();
    for status in [JobStatus::Dead, JobStatus::Pending] {
        let left = store
            .list_jobs(scope.tenant_id, Some(status), PageRequest::first(5))
            .await
            .unwrap();
        assert!(
            left.data.is_empty(),
            "{status:?} jobs left: {:?}",
            left.data
        );
    }
}
