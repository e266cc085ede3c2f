//! Pipelines: stored per project, invisible to other tenants and projects, and their session
//! timeout override decides when their contacts' sessions end (driven by a test clock).

use crate::cases_jobs::{jobs_of, msg, runner, sessions};
use crate::support::{DynStore, all, clock, clock_now, count, events, ingest, ingest_at, tenant};
use chrono::Duration;
use std::sync::Arc;
use ventros_app::actor::Actor;
use ventros_app::error::AppError;
use ventros_app::ports::FixedClock;
use ventros_app::ports::ReportFilter;
use ventros_app::usecases::contacts::{CreateContact, create_contact, update_contact};
use ventros_app::usecases::ingest::IngestOutcome;
use ventros_app::usecases::pipelines::{
    create_pipeline, get_pipeline, list_pipelines, update_pipeline,
};
use ventros_app::usecases::reports::{ReportQuery, session_csv, session_report};
use ventros_app::usecases::session_lifecycle::reopen_session;
use ventros_domain::contact::ContactPatch;
use ventros_domain::ids::PipelineId;
use ventros_domain::job::{JobStatus, SESSION_TIMEOUT, SessionTimeout};
use ventros_domain::session::SessionStatus;
use ventros_domain::tenancy::Scope;

fn admin(scope: Scope) -> Actor {
    Actor::system(scope, "test")
}

pub async fn pipelines_crud_scoped_to_tenant_and_project(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let b = tenant(&store, "beta").await;
    let c = clock();
    let st = store.as_ref();
    let sales = create_pipeline(st, &c, &admin(a.scope), " Sales ", Some(120))
        .await
        .unwrap();
    assert_eq!(
        (sales.name.as_str(), sales.session_timeout_seconds),
        ("Sales", Some(120))
    );
    c.advance(Duration::seconds(1));
    let support = create_pipeline(st, &c, &admin(a.scope), "Support", None)
        .await
        .unwrap();
    assert_eq!(
        get_pipeline(st, &admin(a.scope), sales.id).await.unwrap(),
        sales
    );

    // Oldest first, paged.
    let p1 = list_pipelines(
        st,
        &admin(a.scope),
        ventros_app::page::PageRequest::first(1),
    )
    .await
    .unwrap();
    assert_eq!(p1.data, vec![sales.clone()]);
    let cursor = p1.next_cursor.expect("a second page");
    let p2 = list_pipelines(
        st,
        &admin(a.scope),
        ventros_app::page::PageRequest::new(Some(1), Some(&cursor)).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(p2.data, vec![support.clone()]);
    assert_eq!(p2.next_cursor, None);

    // Update: rename, drop the override; no change writes nothing.
    c.advance(Duration::seconds(1));
    let renamed = update_pipeline(
        st,
        &c,
        &admin(a.scope),
        sales.id,
        Some("Sales BR"),
        Some(None),
    )
    .await
    .unwrap();
    assert_eq!(renamed.session_timeout_seconds, None);
    assert_eq!(
        get_pipeline(st, &admin(a.scope), sales.id).await.unwrap(),
        renamed
    );
    let same = update_pipeline(st, &c, &admin(a.scope), sales.id, Some("Sales BR"), None)
        .await
        .unwrap();
    assert_eq!(same, renamed);
    let ev = events(&store, a.scope).await;
    assert_eq!(count(&ev, "pipeline.created"), 2);
    assert_eq!(
        count(&ev, "pipeline.updated"),
        1,
        "a no-op update emits nothing"
    );
    let up = ev
        .iter()
        .find(|e| e.event_type == "pipeline.updated")
        .unwrap();
    assert_eq!(
        up.payload["changed"],
        serde_json::json!(["name", "session_timeout_seconds"])
    );

    // Bad input is refused with the field.
    for (name, timeout, field) in [
        ("", None, "name"),
        ("X", Some(9), "session_timeout_seconds"),
        ("X", Some(i64::MAX), "session_timeout_seconds"),
    ] {
        match create_pipeline(st, &c, &admin(a.scope), name, timeout).await {
            Err(AppError::Validation { field: f, .. }) => assert_eq!(f, field),
            other => panic!("{name:?} {timeout:?}: {other:?}"),
        }
    }

    // Another tenant, and another project of the same tenant, see nothing.
    assert!(matches!(
        get_pipeline(st, &admin(b.scope), sales.id).await,
        Err(AppError::NotFound("pipeline"))
    ));
    assert!(
        list_pipelines(st, &admin(b.scope), all())
            .await
            .unwrap()
            .data
            .is_empty()
    );
    let other_project = Scope {
        tenant_id: a.scope.tenant_id,
        project_id: ventros_domain::ids::ProjectId::new(),
    };
    assert!(
        store
            .get_pipeline(other_project, sales.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        update_pipeline(st, &c, &admin(b.scope), sales.id, Some("Hijacked"), None)
            .await
            .is_err()
    );
    assert_eq!(
        get_pipeline(st, &admin(a.scope), sales.id)
            .await
            .unwrap()
            .name,
        "Sales BR"
    );

    // A contact may only join a pipeline of its project.
    let err = create_contact(
        st,
        &c,
        &admin(b.scope),
        CreateContact {
            name: "Bea".into(),
            phone: "+5511911110000".into(),
            pipeline_id: Some(sales.id),
            ..Default::default()
        },
    )
    .await;
    assert!(
        matches!(&err, Err(AppError::Validation { field, .. }) if field == "pipeline_id"),
        "{err:?}"
    );
    let ana = create_contact(
        st,
        &c,
        &admin(a.scope),
        CreateContact {
            name: "Ana".into(),
            phone: "+5511911110001".into(),
            pipeline_id: Some(support.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        store
            .get_contact(a.scope, ana.id)
            .await
            .unwrap()
            .unwrap()
            .pipeline_id,
        Some(support.id)
    );
    let moved = ContactPatch {
        pipeline_id: Some(Some(PipelineId::new())),
        ..Default::default()
    };
    assert!(
        update_contact(st, &c, &admin(a.scope), ana.id, moved)
            .await
            .is_err()
    );
    let out = ContactPatch {
        pipeline_id: Some(None),
        ..Default::default()
    };
    let ana = update_contact(st, &c, &admin(a.scope), ana.id, out)
        .await
        .unwrap();
    assert_eq!(ana.pipeline_id, None);
    assert_eq!(
        store
            .get_contact(a.scope, ana.id)
            .await
            .unwrap()
            .unwrap()
            .pipeline_id,
        None
    );
}

/// A contact in a pipeline with a 60 s override: its session ends 60 s after its last
/// message, while a contact outside any pipeline keeps the channel's 1800 s; a reopen uses the
/// override; dropping the override applies to the next message.
pub async fn pipeline_overrides_the_session_timeout(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let st = store.as_ref();
    let c = clock();
    let quick = create_pipeline(st, &c, &admin(t.scope), "Quick", Some(60))
        .await
        .unwrap();
    let fast_phone = "5511922220001";
    let fast_contact = create_contact(
        st,
        &c,
        &admin(t.scope),
        CreateContact {
            name: "Fast".into(),
            phone: format!("+{fast_phone}"),
            pipeline_id: Some(quick.id),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let slow_phone = "5511922220002";
    let start = clock_now();
    for (phone, raw) in [(fast_phone, "F1"), (slow_phone, "S1")] {
        assert_eq!(
            ingest(
                &store,
                &t.channel,
                &msg(phone, raw, false, start.timestamp())
            )
            .await,
            IngestOutcome::Processed
        );
    }
    let s = sessions(&store, &t).await;
    assert_eq!(s.len(), 2);
    // The message from the contact made through the API landed on that contact.
    let (fast, slow): (Vec<_>, Vec<_>) = s
        .into_iter()
        .partition(|s| s.contact_id == Some(fast_contact.id));
    let (fast, slow) = match (fast.as_slice(), slow.as_slice()) {
        ([f], [s]) => (f.clone(), s.clone()),
        other => panic!("one session per contact expected: {other:?}"),
    };
    let timers = jobs_of(&store, &t, JobStatus::Pending, SESSION_TIMEOUT).await;
    let run_at = |id| {
        timers
            .iter()
            .find(|j| j.key == format!("{SESSION_TIMEOUT}:{id}"))
            .map(|j| j.run_at)
    };
    assert_eq!(run_at(fast.id), Some(start + Duration::seconds(60)));
    assert_eq!(run_at(slow.id), Some(start + Duration::seconds(1800)));

    let clk = Arc::new(FixedClock::new(start));
    let r = runner(&store, clk.clone());
    clk.advance(Duration::seconds(59));
    r.run_until_idle().await.unwrap();
    assert!(
        sessions(&store, &t)
            .await
            .iter()
            .all(|s| s.status == SessionStatus::Active),
        "59 s is not 60"
    );
    clk.advance(Duration::seconds(2));
    r.run_until_idle().await.unwrap();
    let now = sessions(&store, &t).await;
    let fast_now = now.iter().find(|s| s.id == fast.id).unwrap();
    let slow_now = now.iter().find(|s| s.id == slow.id).unwrap();
    assert_eq!(fast_now.status, SessionStatus::Ended);
    assert_eq!(fast_now.end_reason.as_deref(), Some("inactivity"));
    assert_eq!(fast_now.ended_at, Some(start + Duration::seconds(60)));
    assert_eq!(
        slow_now.status,
        SessionStatus::Active,
        "the channel's 1800 s"
    );

    // Reports filter by the contact's pipeline (the ended session's figures are final now).
    let report = |pipeline| ReportQuery {
        filter: ReportFilter {
            pipeline_id: Some(pipeline),
            ..Default::default()
        },
        ..Default::default()
    };
    let in_quick = session_report(st, &admin(t.scope), &report(quick.id))
        .await
        .unwrap();
    assert_eq!(in_quick.total.sessions, 1);
    assert_eq!(in_quick.total.duration.count, 1);
    let elsewhere = session_report(st, &admin(t.scope), &report(PipelineId::new()))
        .await
        .unwrap();
    assert_eq!(elsewhere.total.sessions, 0);
    let csv = session_csv(st, &admin(t.scope), &report(quick.id))
        .await
        .unwrap();
    assert_eq!(csv.lines().count(), 2, "header and the one session: {csv}");
    assert!(csv.contains(&fast.id.to_string()), "{csv}");

    // A reopen starts a fresh window of the pipeline's 60 s.
    let reopened_at = start + Duration::seconds(300);
    let rc = FixedClock::new(reopened_at);
    reopen_session(st, &rc, &admin(t.scope), fast.id)
        .await
        .unwrap();
    let timers = jobs_of(&store, &t, JobStatus::Pending, SESSION_TIMEOUT).await;
    let timer = timers
        .iter()
        .find(|j| j.key == format!("{SESSION_TIMEOUT}:{}", fast.id))
        .expect("the reopened session's timer");
    assert_eq!(timer.run_at, reopened_at + Duration::seconds(60));

    // Without the override, the next message arms the channel's timeout.
    update_pipeline(st, &c, &admin(t.scope), quick.id, None, Some(None))
        .await
        .unwrap();
    let later = reopened_at + Duration::seconds(10);
    assert_eq!(
        ingest_at(
            &store,
            &t.channel,
            &msg(fast_phone, "F2", false, later.timestamp()),
            later
        )
        .await,
        IngestOutcome::Processed
    );
    let timers = jobs_of(&store, &t, JobStatus::Pending, SESSION_TIMEOUT).await;
    let timer = timers
        .iter()
        .find(|j| j.key == format!("{SESSION_TIMEOUT}:{}", fast.id))
        .unwrap();
    let armed: SessionTimeout = serde_json::from_value(timer.payload.clone()).unwrap();
    assert_eq!(armed.timeout_seconds, 1800);
    assert_eq!(timer.run_at, later + Duration::seconds(1800));
}
