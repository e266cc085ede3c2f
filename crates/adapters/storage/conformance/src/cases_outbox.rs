use crate::support::StoreExt;
use crate::support::{DynStore, all, clock, ingest, tenant};
use chrono::Duration;
use ventros_app::ports::{Clock, ContactEventFilter};
use ventros_domain::timeline::timeline_entry;
use ventros_waha::sample;

pub async fn outbox_claim_lease_publish(store: DynStore) {
    let t = tenant(&store, "acme").await;
    ingest(
        &store,
        &t.channel,
        &sample::text_message(
            Some("e1"),
            "5511999998888",
            "R1",
            false,
            "hi",
            1_700_000_000,
        ),
    )
    .await;
    let now = clock().now();
    let (pending, oldest) = store.outbox_backlog().await.unwrap();
    assert_eq!(
        pending, 6,
        "tenant, channel, contact, chat, session, message"
    );
    assert!(oldest.is_some());

    let first = store
        .claim_outbox(4, now, now + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(first.len(), 4);
    assert!(
        first.windows(2).all(|w| w[0].seq < w[1].seq),
        "oldest first"
    );
    assert_eq!(first[0].envelope.event_type, "tenant.created");
    assert_eq!(first[0].attempts, 1);
    // Leased rows are not handed out again while the lease holds.
    let second = store
        .claim_outbox(10, now, now + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(second.len(), 2);
    assert!(
        store
            .claim_outbox(10, now, now + Duration::seconds(30))
            .await
            .unwrap()
            .is_empty()
    );
    // Publish the first batch; the second batch's lease expires and it comes back.
    store
        .mark_published(&first.iter().map(|r| r.seq).collect::<Vec<_>>(), now)
        .await
        .unwrap();
    let later = now + Duration::seconds(31);
    let again = store
        .claim_outbox(10, later, later + Duration::seconds(30))
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|r| r.seq).collect::<Vec<_>>(),
        second.iter().map(|r| r.seq).collect::<Vec<_>>()
    );
    assert_eq!(again[0].attempts, 2);
    store
        .mark_published(&again.iter().map(|r| r.seq).collect::<Vec<_>>(), later)
        .await
        .unwrap();
    assert_eq!(store.outbox_backlog().await.unwrap().0, 0);
    assert!(
        store
            .claim_outbox(10, later + Duration::hours(1), later + Duration::hours(2))
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn timeline_consumer_is_idempotent(store: DynStore) {
    let t = tenant(&store, "acme").await;
    ingest(
        &store,
        &t.channel,
        &sample::text_message(
            Some("e1"),
            "5511999998888",
            "R1",
            false,
            "hi",
            1_700_000_000,
        ),
    )
    .await;
    let now = clock().now();
    let rows = store
        .claim_outbox(100, now, now + Duration::seconds(30))
        .await
        .unwrap();
    for r in &rows {
        let entry = timeline_entry(&r.envelope);
        assert!(
            store
                .apply_timeline("timeline", &r.envelope, entry.as_ref())
                .await
                .unwrap()
        );
        // Delivered again: nothing new.
        assert!(
            !store
                .apply_timeline("timeline", &r.envelope, entry.as_ref())
                .await
                .unwrap()
        );
        assert!(
            store
                .consumer_handled("timeline", r.envelope.id)
                .await
                .unwrap()
        );
        assert!(
            !store
                .consumer_handled("other", r.envelope.id)
                .await
                .unwrap()
        );
    }
    let contact = store
        .list_contacts(t.scope, None, all())
        .await
        .unwrap()
        .data
        .remove(0);
    let all_entries = store
        .list_contact_events(t.scope, contact.id, &ContactEventFilter::default(), all())
        .await
        .unwrap()
        .data;
    let kinds: Vec<(&str, &str)> = all_entries
        .iter()
        .map(|e| (e.event_type.as_str(), e.category.as_str()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("contact.created", "lifecycle"),
            ("session.started", "conversation")
        ]
    );
    let f = ContactEventFilter {
        event_type: Some("session.started".into()),
        category: None,
    };
    assert_eq!(
        store
            .list_contact_events(t.scope, contact.id, &f, all())
            .await
            .unwrap()
            .data
            .len(),
        1
    );
    let f = ContactEventFilter {
        event_type: None,
        category: Some("lifecycle".into()),
    };
    let only = store
        .list_contact_events(t.scope, contact.id, &f, all())
        .await
        .unwrap()
        .data;
    assert_eq!(only.len(), 1);
    assert_eq!(only[0].event_type, "contact.created");
    let f = ContactEventFilter {
        event_type: Some("session.started".into()),
        category: Some("lifecycle".into()),
    };
    assert!(
        store
            .list_contact_events(t.scope, contact.id, &f, all())
            .await
            .unwrap()
            .data
            .is_empty()
    );
}

/// Whether the relay's signal holds a wake-up (taking it).
pub(crate) async fn woken(signal: &tokio::sync::Notify) -> bool {
    // A notification given while nobody waited is kept as a permit, so this completes at once
    // exactly when a commit notified since the last look.
    tokio::time::timeout(std::time::Duration::ZERO, signal.notified())
        .await
        .is_ok()
}

/// The store wakes the outbox relay where its commits happen: after a commit that appended
/// events (an API write, an ingest batch), not after one that appended none or rolled back.
pub async fn commits_with_events_wake_the_relay(
    store: DynStore,
    signal: std::sync::Arc<tokio::sync::Notify>,
) {
    let t = tenant(&store, "acme").await;
    assert!(woken(&signal).await, "tenant.created was committed");
    assert!(!woken(&signal).await, "one wake-up per commit");

    let now = clock().now();
    store
        .finish_idempotency(t.scope.tenant_id, "caller", "k", 200, b"{}")
        .await
        .unwrap();
    assert!(!woken(&signal).await, "a write without events wakes nobody");

    let outcome = ingest(
        &store,
        &t.channel,
        &sample::text_message(
            Some("w1"),
            "5511999990001",
            "W1",
            false,
            "hi",
            1_700_000_000,
        ),
    )
    .await;
    assert_eq!(
        outcome,
        ventros_app::usecases::ingest::IngestOutcome::Processed
    );
    assert!(woken(&signal).await, "the ingest commit appended events");

    // A duplicate delivery commits nothing new.
    ingest(
        &store,
        &t.channel,
        &sample::text_message(
            Some("w1"),
            "5511999990001",
            "W1",
            false,
            "hi",
            1_700_000_000,
        ),
    )
    .await;
    assert!(!woken(&signal).await, "a duplicate appends no events");

    // An abandoned unit of work is rolled back and wakes nobody.
    let mut tx = store.begin_ingest(t.scope).await.unwrap();
    let e = ventros_domain::event::EventEnvelope::new(
        &ventros_domain::event::EventContext::default(),
        t.scope.tenant_id,
        t.scope.project_id,
        ventros_domain::event::EventType::ChatUpdated,
        uuid::Uuid::now_v7(),
        now,
        serde_json::json!({}),
    );
    tx.append_events(std::slice::from_ref(&e)).await.unwrap();
    drop(tx);
    assert!(!woken(&signal).await, "nothing was committed");
}
