use crate::support::{ChatFilter, StoreExt};
use crate::support::{DynStore, count, events, ingest, tenant};
use rand::seq::SliceRandom;
use std::sync::Arc;
use ventros_app::usecases::ingest::IngestOutcome;
use ventros_waha::sample;

pub async fn concurrent_deliveries_of_one_message(store: DynStore) {
    let t = Arc::new(tenant(&store, "acme").await);
    let body = Arc::new(sample::text_message(
        Some("evt_same"),
        "5511999998888",
        "RACE",
        false,
        "hi",
        1_700_000_000,
    ));
    let mut any = serde_json::from_slice::<serde_json::Value>(&body).unwrap();
    let mut tasks = Vec::new();
    for i in 0..50 {
        let (store, t, body) = (store.clone(), t.clone(), body.clone());
        // Half are retries of one delivery, half are other deliveries of the same message.
        any["id"] = serde_json::json!(format!("evt_any_{i}"));
        let other = any.to_string().into_bytes();
        tasks.push(tokio::spawn(async move {
            let b: &[u8] = if i % 2 == 0 { &body } else { &other };
            ingest(&store, &t.channel, b).await
        }));
    }
    let mut processed = 0;
    for task in tasks {
        match task.await.unwrap() {
            IngestOutcome::Processed => processed += 1,
            IngestOutcome::Duplicate => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(processed, 1);
    let ev = events(&store, t.scope).await;
    assert_eq!(count(&ev, "message.received"), 1);
    assert_eq!(count(&ev, "contact.created"), 1);
    assert_eq!(count(&ev, "session.started"), 1);
    let chats = store
        .list_chats(t.scope, &ChatFilter::default(), crate::support::all())
        .await
        .unwrap()
        .data;
    assert_eq!(chats.len(), 1);
    assert_eq!(
        store
            .list_messages(t.scope, chats[0].id, crate::support::all())
            .await
            .unwrap()
            .data
            .len(),
        1
    );
}

pub async fn thousand_messages_twice_shuffled(store: DynStore) {
    let t = Arc::new(tenant(&store, "acme").await);
    let mut bodies = Vec::new();
    for i in 0..1000u32 {
        let phone = format!("55119{:08}", i % 40);
        let b = sample::text_message(
            Some(&format!("evt_{i}")),
            &phone,
            &format!("RAW{i:05}"),
            i % 3 == 0,
            &format!("m{i}"),
            1_700_000_000 + i64::from(i),
        );
        bodies.push(b.clone());
        bodies.push(b);
    }
    bodies.shuffle(&mut rand::thread_rng());
    let bodies = Arc::new(bodies);
    let mut tasks = Vec::new();
    for w in 0..8 {
        let (store, t, bodies) = (store.clone(), t.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            for b in bodies.iter().skip(w).step_by(8) {
                if ingest(&store, &t.channel, b).await == IngestOutcome::Processed {
                    n += 1;
                }
            }
            n
        }));
    }
    let mut processed = 0;
    for task in tasks {
        processed += task.await.unwrap();
    }
    assert_eq!(processed, 1000);
    let chats = store
        .list_chats(t.scope, &ChatFilter::default(), crate::support::all())
        .await
        .unwrap()
        .data;
    assert_eq!(chats.len(), 40);
    let mut total = 0;
    for c in &chats {
        let mut cursor: Option<String> = None;
        loop {
            let p = store
                .list_messages(
                    t.scope,
                    c.id,
                    ventros_app::page::PageRequest::new(Some(7), cursor.as_deref()).unwrap(),
                )
                .await
                .unwrap();
            assert!(
                p.data.windows(2).all(|w| w[0].sent_at <= w[1].sent_at),
                "ordered by timestamp"
            );
            total += p.data.len();
            match p.next_cursor {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
    }
    assert_eq!(total, 1000);
    let ev = events(&store, t.scope).await;
    assert_eq!(
        count(&ev, "message.received") + count(&ev, "message.sent"),
        1000
    );
    assert_eq!(count(&ev, "session.started"), 40);
}
