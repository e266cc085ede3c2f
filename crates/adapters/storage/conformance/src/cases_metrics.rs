//! Session metrics through the store: incremental first response, figures finalised by the
//! metrics job at session end and credited to whoever was on duty, recomputation giving
//! identical figures, reports, CSV and live counts.

use crate::cases_jobs::runner;
use crate::support::{
    DynStore, SessionFilter, all, clock_now, count, events, ingest_at, tenant, tenant_channel,
};
use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use ventros_app::actor::Actor;
use ventros_app::ports::{FixedClock, ReportFilter};
use ventros_app::usecases::agents::create_agent;
use ventros_app::usecases::reports::{
    self, CSV_COLUMNS, GroupBy, ReportQuery, live_counts, session_csv,
};
use ventros_app::usecases::session_lifecycle::{Handover, assign_session, close_session};
use ventros_app::usecases::session_metrics::recompute_all;
use ventros_domain::agent::AgentKind;
use ventros_domain::metrics::Initiator;
use ventros_domain::session::{Session, SessionStatus};
use ventros_waha::sample;

const PHONE: &str = "5511966660001";

fn msg(raw: &str, from_me: bool, body: &str, at: DateTime<Utc>) -> Vec<u8> {
    sample::text_message(
        Some(&format!("evt_{raw}")),
        PHONE,
        raw,
        from_me,
        body,
        at.timestamp(),
    )
}

async fn only_session(store: &DynStore, t: &crate::support::Tenant) -> Session {
    let mut v = store
        .list_sessions(t.scope, &SessionFilter::default(), all())
        .await
        .unwrap()
        .data;
    assert_eq!(v.len(), 1);
    v.remove(0)
}

pub async fn metrics_are_final_at_end_and_recompute_identically(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let admin = Actor::system(t.scope, "test");
    let t0 = clock_now();
    let at = |s: i64| t0 + Duration::seconds(s);
    let clock = |s: i64| FixedClock::new(at(s));
    let bot = create_agent(
        store.as_ref(),
        &clock(0),
        &admin,
        AgentKind::Bot,
        "Triage bot",
        None,
    )
    .await
    .unwrap();
    let user = store
        .list_users(t.scope.tenant_id, all())
        .await
        .unwrap()
        .data
        .remove(0);
    let human = create_agent(
        store.as_ref(),
        &clock(0),
        &admin,
        AgentKind::Human,
        "Ana",
        Some(user.id),
    )
    .await
    .unwrap();

    // The contact writes; a bot is put on duty; a person answers from the phone app.
    ingest_at(&store, &t.channel, &msg("M1", false, "hello", at(0)), at(0)).await;
    let s = only_session(&store, &t).await;
    assert!(s.waiting_for_answer());
    let live = live_counts(store.as_ref(), &admin, None).await.unwrap();
    assert_eq!(
        (live.active, live.unassigned, live.waiting_for_answer),
        (1, 1, 1)
    );
    assert_eq!(live.oldest_waiting_since, Some(at(0)));
    assign_session(
        store.as_ref(),
        &clock(10),
        &admin,
        s.id,
        Some(bot.id),
        None,
        Handover::Assign,
    )
    .await
    .unwrap();
    ingest_at(&store, &t.channel, &msg("M2", true, "hi!", at(40)), at(40)).await;
    let s = only_session(&store, &t).await;
    assert_eq!(
        s.agent_first_response_seconds,
        Some(40),
        "kept as messages arrive"
    );
    assert_eq!(s.contact_first_response_seconds, None);
    assert_eq!(s.first_response_agent_id, Some(bot.id));
    assert!(!s.waiting_for_answer());
    let live = live_counts(store.as_ref(), &admin, None).await.unwrap();
    assert_eq!(
        (live.active, live.unassigned, live.waiting_for_answer),
        (1, 0, 0)
    );

    // Transferred to a human, who answers the next question; the last one goes unanswered.
    assign_session(
        store.as_ref(),
        &clock(100),
        &admin,
        s.id,
        Some(human.id),
        Some("needs a person".into()),
        Handover::Transfer,
    )
    .await
    .unwrap();
    ingest_at(
        &store,
        &t.channel,
        &msg("M3", false, "price?", at(200)),
        at(200),
    )
    .await;
    ingest_at(
        &store,
        &t.channel,
        &msg("M4", true, "R$ 10", at(260)),
        at(260),
    )
    .await;
    ingest_at(
        &store,
        &t.channel,
        &msg("M5", false, "ok, and?", at(300)),
        at(300),
    )
    .await;
    assert_eq!(
        live_counts(store.as_ref(), &admin, None)
            .await
            .unwrap()
            .waiting_for_answer,
        1
    );
    assert!(
        only_session(&store, &t).await.metrics.is_none(),
        "not final yet"
    );

    close_session(store.as_ref(), &clock(400), &admin, s.id, "resolved")
        .await
        .unwrap();
    let c = Arc::new(clock(400));
    let r = runner(&store, c.clone());
    r.run_until_idle().await.unwrap();
    let s = only_session(&store, &t).await;
    assert_eq!(s.status, SessionStatus::Ended);
    let m = s.metrics.clone().expect("final figures stored");
    assert_eq!(m.initiated_by, Some(Initiator::Contact));
    assert_eq!(m.agent_first_response_seconds, Some(40));
    assert_eq!(
        m.first_response_agent_id,
        Some(bot.id),
        "on duty at the time"
    );
    assert_eq!(m.waiting.count, 2);
    assert_eq!(m.waiting.sum_seconds, 100);
    assert_eq!(
        (m.waiting.p50_seconds, m.waiting.p90_seconds),
        (Some(40), Some(60))
    );
    assert_eq!(m.waits[1].agent_id, Some(human.id));
    assert_eq!(m.unanswered_wait_seconds, Some(100));
    assert_eq!(m.duration_seconds, 300);
    assert_eq!(
        m.bot_handling_seconds, 90,
        "from 10 s to the transfer at 100 s"
    );
    assert_eq!(
        m.human_handling_seconds, 300,
        "from 100 s to the close at 400 s"
    );
    assert_eq!(m.handling_seconds, 390);
    assert_eq!((m.messages.contact, m.messages.human), (3, 2));
    let ev = events(&store, t.scope).await;
    assert_eq!(count(&ev, "session.metrics_calculated"), 1);
    let e = ev
        .iter()
        .find(|e| e.event_type == "session.metrics_calculated")
        .unwrap();
    assert_eq!(e.payload["metrics"], serde_json::json!(m));
    assert_eq!(e.payload["session_id"], serde_json::json!(s.id));

    // Recomputing from stored messages and assignments gives identical figures.
    let x = recompute_all(store.as_ref(), c.as_ref(), true)
        .await
        .unwrap();
    assert_eq!((x.sessions, x.identical, x.differing), (1, 1, 0));
    // Damaged figures are found, and repaired unless only checking.
    let mut bad = m.clone();
    bad.duration_seconds += 1;
    assert!(
        store
            .save_metrics(t.scope, s.id, s.ended_at.unwrap(), &bad, None)
            .await
            .unwrap()
    );
    let x = recompute_all(store.as_ref(), c.as_ref(), true)
        .await
        .unwrap();
    assert_eq!((x.differing, x.written), (1, 0));
    let x = recompute_all(store.as_ref(), c.as_ref(), false)
        .await
        .unwrap();
    assert_eq!((x.differing, x.written), (1, 1));
    assert_eq!(only_session(&store, &t).await.metrics, Some(m.clone()));
    let x = recompute_all(store.as_ref(), c.as_ref(), true)
        .await
        .unwrap();
    assert_eq!(x.identical, 1);

    // Reports: credited per agent, filtered by channel and period; one CSV row per session.
    let q = |group_by| ReportQuery {
        group_by,
        ..Default::default()
    };
    let rep = reports::session_report(store.as_ref(), &admin, &q(Some(GroupBy::Agent)))
        .await
        .unwrap();
    assert_eq!(rep.total.sessions, 1);
    assert_eq!(rep.total.waiting.count, 2);
    assert_eq!(rep.total.unanswered, 1);
    let row = |id: String| {
        rep.rows
            .iter()
            .find(|r| r.key.as_deref() == Some(id.as_str()))
            .unwrap()
            .clone()
    };
    let b = row(bot.id.to_string());
    assert_eq!(b.agent_first_response.count, 1);
    assert_eq!(b.agent_first_response.mean_seconds, Some(40.0));
    assert_eq!(b.waiting.sum_seconds, 40);
    assert_eq!(b.handling.sum_seconds, 90);
    let h = row(human.id.to_string());
    assert_eq!(h.agent_first_response.count, 0);
    assert_eq!(h.waiting.sum_seconds, 60);
    assert_eq!(h.handling.sum_seconds, 300);
    let only_human = ReportQuery {
        agent_id: Some(human.id),
        group_by: Some(GroupBy::Agent),
        ..Default::default()
    };
    let rep = reports::session_report(store.as_ref(), &admin, &only_human)
        .await
        .unwrap();
    assert_eq!(rep.rows.len(), 1);
    let rep = reports::session_report(store.as_ref(), &admin, &q(Some(GroupBy::Day)))
        .await
        .unwrap();
    assert_eq!(rep.rows[0].key.as_deref(), Some("2026-01-01"));
    let other = tenant_channel(&store, &t, "Second number").await;
    let by_other_channel = ReportQuery {
        filter: ReportFilter {
            channel_id: Some(other.channel_id),
            ..Default::default()
        },
        ..Default::default()
    };
    let rep = reports::session_report(store.as_ref(), &admin, &by_other_channel)
        .await
        .unwrap();
    assert_eq!(rep.total.sessions, 0);
    let later = ReportQuery {
        filter: ReportFilter {
            from: Some(at(1)),
            ..Default::default()
        },
        ..Default::default()
    };
    let rep = reports::session_report(store.as_ref(), &admin, &later)
        .await
        .unwrap();
    assert_eq!(rep.total.sessions, 0, "the period is on started_at");
    let csv = session_csv(store.as_ref(), &admin, &q(None)).await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0], CSV_COLUMNS.join(","));
    let cells: Vec<&str> = lines[1].split(',').collect();
    assert_eq!(cells.len(), CSV_COLUMNS.len());
    let col = |name: &str| cells[CSV_COLUMNS.iter().position(|c| *c == name).unwrap()];
    assert_eq!(col("session_id"), s.id.to_string());
    assert_eq!(col("agent_first_response_seconds"), "40");
    assert_eq!(col("waiting_p90_seconds"), "60");
    assert_eq!(col("handling_seconds"), "390");
    assert_eq!(col("end_reason"), "resolved");
    let live = live_counts(store.as_ref(), &admin, None).await.unwrap();
    assert_eq!(live.active, 0);

    // Another tenant sees none of it.
    let other_tenant = tenant(&store, "beta").await;
    let x = reports::session_report(
        store.as_ref(),
        &Actor::system(other_tenant.scope, "test"),
        &q(None),
    )
    .await
    .unwrap();
    assert_eq!(x.total.sessions, 0, "another tenant sees nothing");
}
