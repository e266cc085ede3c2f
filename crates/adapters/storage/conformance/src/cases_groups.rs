//! Debounce: bursts of a contact's messages become one message group after a quiet window,
//! capped by a maximum age; a human answer supersedes a pending group. Time is moved by a
//! test clock, never slept.

use crate::cases_jobs::runner;
use crate::support::{DynStore, all, clock_now, count, events, ingest_at, tenant};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use ventros_app::ports::{Clock, FixedClock};
use ventros_domain::event::EventEnvelope;
use ventros_domain::message_group::GroupStatus;
use ventros_waha::sample;

fn msg(phone: &str, raw: &str, from_me: bool, body: &str, at: DateTime<Utc>) -> Vec<u8> {
    sample::text_message(
        Some(&format!("evt_{raw}")),
        phone,
        raw,
        from_me,
        body,
        at.timestamp(),
    )
}

fn completed(ev: &[EventEnvelope]) -> Vec<&EventEnvelope> {
    ev.iter()
        .filter(|e| e.event_type == "message_group.completed")
        .collect()
}

pub async fn debounce_groups_bursts_with_window_and_cap(store: DynStore) {
    let t = tenant(&store, "acme").await;
    assert_eq!(
        (
            t.channel.debounce_timeout_ms,
            t.channel.message_group_max_age_ms
        ),
        (15_000, 120_000)
    );
    let t0 = clock_now();
    let at = |ms: i64| t0 + Duration::milliseconds(ms);
    let c = Arc::new(FixedClock::new(t0));
    let r = runner(&store, c.clone());
    let p = "5511955550001";
    let send = |raw: &'static str, from_me: bool, body: &'static str, ms: i64| {
        let store = store.clone();
        let ch = t.channel.clone();
        async move { ingest_at(&store, &ch, &msg(p, raw, from_me, body, at(ms)), at(ms)).await }
    };
    let move_to = |ms: i64| {
        let now = c.now();
        c.advance(at(ms) - now);
    };

    // A burst: every message re-arms the 15 s window.
    send("B1", false, "hi", 0).await;
    send("B2", false, "I want", 5_000).await;
    send("B3", false, "a pizza", 19_999).await;
    move_to(34_998);
    r.run_until_idle().await.unwrap();
    assert!(
        completed(&events(&store, t.scope).await).is_empty(),
        "1 ms early"
    );
    let pending = store
        .list_message_groups(t.scope, None, Some(GroupStatus::Pending), all())
        .await
        .unwrap()
        .data;
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].message_ids.len(), 3);
    move_to(34_999);
    r.run_until_idle().await.unwrap();
    let ev = events(&store, t.scope).await;
    let done = completed(&ev);
    assert_eq!(done.len(), 1, "exactly at the window's end");
    assert_eq!(done[0].payload["text"], "hi\nI want\na pizza");
    assert_eq!(done[0].payload["message_count"], 3);
    assert_eq!(done[0].payload["reason"], "quiet");
    let bodies: Vec<&str> = done[0].payload["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["hi", "I want", "a pizza"]);
    let g = store
        .list_message_groups(t.scope, None, Some(GroupStatus::Completed), all())
        .await
        .unwrap()
        .data;
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].closed_at, Some(at(34_999)));

    // A message just after the window opens a new group.
    send("B4", false, "and a soda", 35_000).await;
    move_to(50_000);
    r.run_until_idle().await.unwrap();
    let ev = events(&store, t.scope).await;
    assert_eq!(completed(&ev).len(), 2);
    assert_eq!(completed(&ev)[1].payload["text"], "and a soda");

    // Starvation cap: a message every 10 s never leaves a quiet window; the group completes
    // at its maximum age (120 s) with what it has, and the next message starts a new one.
    let start = 100_000;
    let raws: Vec<String> = (0..16).map(|i| format!("S{i}")).collect();
    for (i, raw) in raws.iter().enumerate() {
        let ms = start + 10_000 * i as i64;
        move_to(ms);
        r.run_until_idle().await.unwrap();
        ingest_at(
            &store,
            &t.channel,
            &msg(p, raw, false, &format!("part {i}"), at(ms)),
            at(ms),
        )
        .await;
    }
    let ev = events(&store, t.scope).await;
    let capped = completed(&ev);
    assert_eq!(capped.len(), 3);
    assert_eq!(capped[2].payload["reason"], "max_age");
    assert_eq!(
        capped[2].payload["message_count"], 12,
        "messages at 100 s … 210 s; the one at 220 s found the group closed"
    );
    assert_eq!(capped[2].occurred_at, at(start + 120_000));

    // A human answering from the phone supersedes the pending group: no completion.
    move_to(400_000);
    r.run_until_idle().await.unwrap();
    let before = completed(&events(&store, t.scope).await).len();
    send("H1", false, "anyone?", 400_000).await;
    send("H2", true, "yes, here", 405_000).await;
    move_to(500_000);
    r.run_until_idle().await.unwrap();
    let ev = events(&store, t.scope).await;
    assert_eq!(completed(&ev).len(), before);
    assert_eq!(count(&ev, "message_group.superseded"), 1);
    let sup = ev
        .iter()
        .find(|e| e.event_type == "message_group.superseded")
        .unwrap();
    assert_eq!(sup.payload["message_ids"].as_array().unwrap().len(), 1);
    let superseded = store
        .list_message_groups(t.scope, None, Some(GroupStatus::Superseded), all())
        .await
        .unwrap()
        .data;
    assert_eq!(superseded.len(), 1);
    assert!(
        store
            .list_message_groups(t.scope, None, Some(GroupStatus::Pending), all())
            .await
            .unwrap()
            .data
            .is_empty()
    );
}
