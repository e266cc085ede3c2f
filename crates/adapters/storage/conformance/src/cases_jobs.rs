//! Durable jobs: arming, leasing, fencing, retries, dead letters; session inactivity timeouts
//! driven by the job runner and a test clock (never a sleep).

use crate::support::{DynStore, SessionFilter, all, clock_now, count, events, ingest, tenant};
use chrono::Duration;
use std::sync::Arc;
use ventros_app::ports::{Clock, FixedClock, JobBacklog, JobFinish, JobKinds};
use ventros_app::usecases::ingest::IngestOutcome;
use ventros_domain::ids::{JobId, SessionId};
use ventros_domain::job::{Job, JobStatus, SESSION_TIMEOUT, SessionTimeout};
use ventros_domain::session::SessionStatus;
use ventros_waha::sample;
use ventros_workers::{JobRunner, JobRunnerConfig};

/// The handlers that talk to the outside, on the test doubles.
fn outside_handlers(
    store: &DynStore,
    clock: Arc<FixedClock>,
) -> Vec<Arc<dyn ventros_app::ports::JobHandler>> {
    ventros_app::usecases::gateway_handlers(
        store.clone(),
        Arc::new(crate::empty_gateway::EmptyGateway),
        Arc::new(crate::empty_gateway::MemoryMedia::default()),
        clock,
        ventros_domain::media::DEFAULT_MAX_BYTES,
        ventros_domain::media::DEFAULT_PICTURE_REFRESH_HOURS,
    )
}

/// A runner with every handler, like `ventros serve` has; the outside (WAHA, the media
/// store) is a gateway that has nothing and a store in memory.
pub fn runner(store: &DynStore, clock: Arc<FixedClock>) -> JobRunner {
    let outside = outside_handlers(store, clock.clone());
    ventros_app::usecases::job_handlers(store.clone(), clock.clone())
        .into_iter()
        .chain(outside)
        .fold(
            JobRunner::new(store.clone(), clock, JobRunnerConfig::default()),
            JobRunner::handle,
        )
}

fn job(t: &crate::support::Tenant, key: &str, in_secs: i64) -> Job {
    let now = clock_now();
    Job {
        id: JobId::new(),
        tenant_id: t.scope.tenant_id,
        project_id: t.scope.project_id,
        kind: "test.unknown".into(),
        key: key.into(),
        payload: serde_json::json!({}),
        run_at: now + Duration::seconds(in_secs),
        attempts: 0,
        max_attempts: 3,
        status: JobStatus::Pending,
        last_error: None,
        created_at: now,
        updated_at: now,
    }
}

/// A claim takes every kind, only some, or all but some.
pub async fn jobs_are_claimed_by_kind(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let t0 = clock_now();
    let lease = t0 + Duration::seconds(60);
    let of = |key: &str, kind: &str| Job {
        kind: kind.into(),
        ..job(&a, key, 0)
    };
    for (key, kind) in [
        ("d1", "test.deliver"),
        ("d2", "test.deliver"),
        ("s1", "test.send"),
        ("t1", "test.timer"),
    ] {
        store.arm_job(&of(key, kind)).await.unwrap();
    }
    let kinds = |js: &[Job]| {
        let mut k: Vec<String> = js.iter().map(|j| j.key.clone()).collect();
        k.sort();
        k
    };
    let only = JobKinds::Only(vec!["test.deliver".into()]);
    let got = store.claim_jobs_of(&only, 10, t0, lease).await.unwrap();
    assert_eq!(kinds(&got), ["d1", "d2"]);
    let except = JobKinds::Except(vec!["test.deliver".into(), "test.timer".into()]);
    let got = store.claim_jobs_of(&except, 10, t0, lease).await.unwrap();
    assert_eq!(kinds(&got), ["s1"]);
    let got = store
        .claim_jobs_of(&JobKinds::All, 10, t0, lease)
        .await
        .unwrap();
    assert_eq!(kinds(&got), ["t1"], "what is left, whatever its kind");
    assert!(
        store
            .claim_jobs_of(&JobKinds::Only(vec![]), 10, t0, lease)
            .await
            .unwrap()
            .is_empty()
    );
}

/// A claim's lease is renewed while its run lasts; only that claim's, and not after it ends.
pub async fn job_leases_are_renewed_only_for_their_claim(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let b = tenant(&store, "beta").await;
    let t0 = clock_now();
    let lease = |at| at + Duration::seconds(60);
    store.arm_job(&job(&a, "long", 0)).await.unwrap();
    store.arm_job(&job(&b, "other", 0)).await.unwrap();
    let claimed = store.claim_jobs(10, t0, lease(t0)).await.unwrap();
    assert_eq!(claimed.len(), 2, "one job of each tenant");
    let t1 = t0 + Duration::seconds(40);
    assert_eq!(
        store.renew_job_leases(&claimed, lease(t1)).await.unwrap(),
        2,
        "both tenants' leases"
    );
    let t2 = t0 + Duration::seconds(90);
    assert!(
        store
            .claim_jobs(10, t2, lease(t2))
            .await
            .unwrap()
            .is_empty(),
        "past the first lease, still held by the renewed one"
    );
    // One run ends: its job has no lease left to renew, the other's still has.
    let (done, running) = (&claimed[0], &claimed[1]);
    assert!(store.finish_job(done, &JobFinish::Done, t2).await.unwrap());
    assert_eq!(
        store.renew_job_leases(&claimed, lease(t2)).await.unwrap(),
        1
    );
    // Once its lease runs out another worker claims it: the stale claim renews nothing.
    let t3 = lease(t2) + Duration::seconds(1);
    let again = store.claim_jobs(10, t3, lease(t3)).await.unwrap();
    assert_eq!((again.len(), again[0].id), (1, running.id));
    assert_eq!(
        store
            .renew_job_leases(
                std::slice::from_ref(running),
                lease(t3) + Duration::seconds(60)
            )
            .await
            .unwrap(),
        0,
        "the lease is the new claim's"
    );
    assert_eq!(store.renew_job_leases(&again, lease(t3)).await.unwrap(), 1);
}

pub async fn jobs_lease_fence_retry_and_dead_letter(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let b = tenant(&store, "beta").await;
    let t0 = clock_now();
    let lease = |at| at + Duration::seconds(60);
    store.arm_job(&job(&a, "k1", 10)).await.unwrap();
    assert!(
        store
            .claim_jobs(10, t0, lease(t0))
            .await
            .unwrap()
            .is_empty(),
        "not due yet"
    );
    let t1 = t0 + Duration::seconds(10);
    let claimed = store.claim_jobs(10, t1, lease(t1)).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let j = claimed[0].clone();
    assert_eq!((j.attempts, j.key.as_str()), (1, "k1"));
    assert!(
        store
            .claim_jobs(10, t1, lease(t1))
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );

    // Re-armed while running: the stale run cannot finish it; it stays pending at the new time.
    store.arm_job(&job(&a, "k1", 100)).await.unwrap();
    assert!(!store.finish_job(&j, &JobFinish::Done, t1).await.unwrap());
    let t2 = t0 + Duration::seconds(100);
    let again = store.claim_jobs(10, t2, lease(t2)).await.unwrap();
    assert_eq!(
        (again.len(), again[0].id, again[0].attempts),
        (1, j.id, 1),
        "same row moved"
    );

    // Retry with a later time, then dead after failing again.
    let at = t2 + Duration::seconds(20);
    assert!(
        store
            .finish_job(
                &again[0],
                &JobFinish::Retry {
                    at,
                    error: "boom".into()
                },
                t2
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .claim_jobs(10, t2, lease(t2))
            .await
            .unwrap()
            .is_empty()
    );
    let third = store.claim_jobs(10, at, lease(at)).await.unwrap();
    assert_eq!(third[0].attempts, 2);
    assert!(
        store
            .finish_job(
                &third[0],
                &JobFinish::Dead {
                    error: "gave up".into()
                },
                at
            )
            .await
            .unwrap()
    );
    let dead = store
        .list_jobs(a.scope.tenant_id, Some(JobStatus::Dead), all())
        .await
        .unwrap()
        .data;
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("gave up"));
    assert!(
        store
            .list_jobs(b.scope.tenant_id, None, all())
            .await
            .unwrap()
            .data
            .iter()
            .all(|j| j.key != "k1")
    );
    assert!(
        !store
            .retry_job(b.scope.tenant_id, dead[0].id, at)
            .await
            .unwrap(),
        "foreign"
    );
    assert!(
        store
            .get_job(b.scope.tenant_id, dead[0].id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .retry_job(a.scope.tenant_id, dead[0].id, at)
            .await
            .unwrap()
    );
    let back = store
        .get_job(a.scope.tenant_id, dead[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((back.status, back.attempts), (JobStatus::Pending, 0));

    // The runner dead-letters unknown kinds and retries handler errors with backoff.
    let c = Arc::new(FixedClock::new(at));
    let r = runner(&store, c.clone());
    assert_eq!(r.run_until_idle().await.unwrap(), 1);
    let j = store
        .get_job(a.scope.tenant_id, back.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.status, JobStatus::Dead);
    assert!(j.last_error.unwrap().contains("no handler"));

    // Claims span tenants, oldest due first.
    store.arm_job(&job(&b, "kb", 5)).await.unwrap();
    store.arm_job(&job(&a, "ka", 1)).await.unwrap();
    let t3 = t0 + Duration::seconds(5);
    let both = store.claim_jobs(10, t3, lease(t3)).await.unwrap();
    assert_eq!(
        both.iter().map(|j| j.key.as_str()).collect::<Vec<_>>(),
        ["ka", "kb"]
    );
}

pub(crate) fn msg(phone: &str, raw: &str, from_me: bool, at: i64) -> Vec<u8> {
    sample::text_message(Some(&format!("evt_{raw}")), phone, raw, from_me, "hi", at)
}

pub(crate) async fn jobs_of(
    store: &DynStore,
    t: &crate::support::Tenant,
    status: JobStatus,
    kind: &str,
) -> Vec<Job> {
    let mut v = store
        .list_jobs(t.scope.tenant_id, Some(status), all())
        .await
        .unwrap()
        .data;
    v.retain(|j| j.kind == kind);
    v
}

pub(crate) async fn sessions(
    store: &DynStore,
    t: &crate::support::Tenant,
) -> Vec<ventros_domain::session::Session> {
    store
        .list_sessions(t.scope, &SessionFilter::default(), all())
        .await
        .unwrap()
        .data
}

pub async fn sessions_end_after_inactivity_once(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let timeout = t.channel.session_timeout_seconds;
    assert_eq!(timeout, 1800);
    let start = clock_now().timestamp();
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &msg("5511999990001", "A1", false, start)
        )
        .await,
        IngestOutcome::Processed
    );
    // A reply 1000 s later moves the timer.
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &msg("5511999990001", "A2", true, start + 1000)
        )
        .await,
        IngestOutcome::Processed
    );
    let s = sessions(&store, &t).await;
    assert_eq!(s.len(), 1);
    let pending = jobs_of(&store, &t, JobStatus::Pending, SESSION_TIMEOUT).await;
    assert_eq!(pending.len(), 1, "one timer per session, re-armed in place");
    assert_eq!(pending[0].key, format!("{SESSION_TIMEOUT}:{}", s[0].id));
    let last = s[0].last_message_at.unwrap();
    assert_eq!(pending[0].run_at, last + Duration::seconds(timeout));

    let c = Arc::new(FixedClock::new(clock_now()));
    let r = runner(&store, c.clone());
    c.advance(Duration::seconds(15));
    assert_eq!(
        r.run_once().await.unwrap(),
        2,
        "the message group's window and the contact's picture look"
    );
    c.advance(Duration::seconds(1785));
    assert_eq!(
        r.run_once().await.unwrap(),
        0,
        "1800 s after the first message is not enough"
    );
    assert_eq!(sessions(&store, &t).await[0].status, SessionStatus::Active);
    c.advance(Duration::seconds(1000));
    assert_eq!(r.run_once().await.unwrap(), 1);
    let ended = &sessions(&store, &t).await[0];
    assert_eq!(ended.status, SessionStatus::Ended);
    assert_eq!(ended.end_reason.as_deref(), Some("inactivity"));
    assert_eq!(ended.ended_at, Some(last + Duration::seconds(timeout)));
    let ev = events(&store, t.scope).await;
    assert_eq!(count(&ev, "session.ended"), 1);
    let e = ev.iter().find(|e| e.event_type == "session.ended").unwrap();
    assert_eq!(e.payload["reason"], "inactivity");
    assert_eq!(e.payload["session_id"], serde_json::json!(s[0].id));
    c.advance(Duration::seconds(10_000));
    assert_eq!(
        r.run_once().await.unwrap(),
        1,
        "the metrics job the end armed"
    );
    assert_eq!(r.run_once().await.unwrap(), 0, "done jobs stay done");
    assert_eq!(
        jobs_of(&store, &t, JobStatus::Done, SESSION_TIMEOUT)
            .await
            .len(),
        1
    );

    // A message after the end opens a new session with its own timer.
    assert_eq!(
        ingest(
            &store,
            &t.channel,
            &msg("5511999990001", "A3", false, start + 5000)
        )
        .await,
        IngestOutcome::Processed
    );
    let all_s = sessions(&store, &t).await;
    assert_eq!(all_s.len(), 2);
    assert_eq!(all_s[1].status, SessionStatus::Active);
    assert_eq!(count(&events(&store, t.scope).await, "session.ended"), 1);
}

/// A timer armed too early (a concurrent delivery's stale view) is moved, not obeyed.
pub async fn early_timer_is_rescheduled_not_obeyed(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let start = clock_now().timestamp();
    ingest(
        &store,
        &t.channel,
        &msg("5511999990002", "B1", false, start),
    )
    .await;
    let s = sessions(&store, &t).await.remove(0);
    let mut early = s.clone();
    early.last_message_at = Some(s.started_at - Duration::seconds(5000));
    store
        .arm_job(&SessionTimeout::job(&early, 1800, clock_now()))
        .await
        .unwrap();
    let c = Arc::new(FixedClock::new(clock_now()));
    let r = runner(&store, c.clone());
    assert_eq!(
        r.run_once().await.unwrap(),
        2,
        "fires early (with the contact's picture look)"
    );
    assert_eq!(sessions(&store, &t).await[0].status, SessionStatus::Active);
    let j = &jobs_of(&store, &t, JobStatus::Pending, SESSION_TIMEOUT).await[0];
    assert_eq!(
        j.run_at,
        s.last_message_at.unwrap() + Duration::seconds(1800)
    );
    c.advance(Duration::seconds(1800));
    assert_eq!(
        r.run_once().await.unwrap(),
        2,
        "the timeout and the message group"
    );
    assert_eq!(sessions(&store, &t).await[0].status, SessionStatus::Ended);
    // Ending is fenced too: a stale view of the session cannot end it twice.
    let ev = crate::support::events(&store, t.scope).await.pop().unwrap();
    assert!(
        !store
            .end_session(
                t.scope,
                s.id,
                s.last_message_at,
                clock_now(),
                "inactivity",
                &ev,
                &ventros_domain::job::SessionMetricsJob::job(&s, clock_now()),
            )
            .await
            .unwrap()
    );
    let missing = SessionTimeout {
        session_id: SessionId::new(),
        timeout_seconds: 10,
        active_since: None,
        late_arrival: None,
    };
    let mut j = Job {
        payload: serde_json::json!(missing),
        key: "gone".into(),
        ..j.clone()
    };
    j.id = JobId::new();
    j.run_at = clock_now();
    store.arm_job(&j).await.unwrap();
    assert_eq!(
        r.run_once().await.unwrap(),
        2,
        "the metrics job and the stray timer"
    );
    assert_eq!(
        jobs_of(&store, &t, JobStatus::Done, SESSION_TIMEOUT)
            .await
            .len(),
        2,
        "a timer for a missing session is simply done"
    );
}

/// Two workers draining the same due timers end each session exactly once.
pub async fn two_workers_never_end_a_session_twice(store: DynStore) {
    let t = tenant(&store, "acme").await;
    let start = clock_now().timestamp();
    for i in 0..40 {
        let phone = format!("55119888{i:05}");
        ingest(
            &store,
            &t.channel,
            &msg(&phone, &format!("C{i}"), false, start),
        )
        .await;
    }
    let c = Arc::new(FixedClock::new(clock_now() + Duration::seconds(3600)));
    let cfg = JobRunnerConfig {
        batch: 7,
        ..Default::default()
    };
    let mk = || {
        ventros_app::usecases::job_handlers(store.clone(), c.clone())
            .into_iter()
            .chain(outside_handlers(&store, c.clone()))
            .fold(
                JobRunner::new(store.clone(), c.clone() as Arc<dyn Clock>, cfg),
                JobRunner::handle,
            )
    };
    let (w1, w2) = (mk(), mk());
    let (n1, n2) = tokio::join!(w1.run_until_idle(), w2.run_until_idle());
    // 40 message groups, 40 picture looks, 40 timeouts, then the 40 metrics jobs the ends
    // armed.
    assert_eq!(n1.unwrap() + n2.unwrap(), 160, "each job ran once");
    let s = sessions(&store, &t).await;
    assert!(s.iter().all(|s| s.status == SessionStatus::Ended));
    assert!(s.iter().all(|s| s.metrics.is_some()));
    let ev = events(&store, t.scope).await;
    assert_eq!(count(&ev, "session.ended"), 40);
    assert_eq!(count(&ev, "session.metrics_calculated"), 40);
    assert_eq!(count(&ev, "message_group.completed"), 40);
}

/// Arms timers through one store handle, drops it (a restart), and expires them through a
/// fresh one: none is lost.
pub async fn timers_survive_a_restart(
    before: DynStore,
    reopen: impl std::future::Future<Output = DynStore>,
) {
    let t = tenant(&before, "acme").await;
    let start = clock_now().timestamp();
    for i in 0..5 {
        let phone = format!("55119777{i:05}");
        ingest(
            &before,
            &t.channel,
            &msg(&phone, &format!("R{i}"), false, start),
        )
        .await;
    }
    drop(before);
    let after = reopen.await;
    let c = Arc::new(FixedClock::new(clock_now() + Duration::seconds(1800)));
    // Five message groups, five picture looks, five inactivity timeouts, five metrics jobs
    // armed by the ends.
    assert_eq!(runner(&after, c).run_until_idle().await.unwrap(), 20);
    let s = sessions(&after, &t).await;
    assert_eq!(s.len(), 5);
    assert!(s.iter().all(|s| s.status == SessionStatus::Ended));
    assert!(s.iter().all(|s| s.metrics.is_some()));
    let ev = events(&after, t.scope).await;
    assert_eq!(count(&ev, "message_group.completed"), 5);
    assert_eq!(count(&ev, "session.metrics_calculated"), 5);
}

/// Retention deletes done jobs finished before the cut-off, of every tenant, in batches;
/// pending and dead jobs stay. The backlog counts overdue and dead jobs across tenants.
pub async fn done_jobs_are_pruned_dead_and_pending_stay(store: DynStore) {
    let a = tenant(&store, "acme").await;
    let b = tenant(&store, "beta").await;
    let t0 = clock_now();
    let lease = t0 + Duration::seconds(60);
    for (t, prefix) in [(&a, "a"), (&b, "b")] {
        for i in 0..3 {
            store
                .arm_job(&job(t, &format!("{prefix}-done-{i}"), 0))
                .await
                .unwrap();
        }
        store
            .arm_job(&job(t, &format!("{prefix}-dead"), 0))
            .await
            .unwrap();
        store
            .arm_job(&job(t, &format!("{prefix}-later"), 3600))
            .await
            .unwrap();
    }
    let claimed = store.claim_jobs(100, t0, lease).await.unwrap();
    assert_eq!(
        claimed.len(),
        8,
        "three done and one dead per tenant are due"
    );
    for j in &claimed {
        let how = if j.key.ends_with("-dead") {
            JobFinish::Dead {
                error: "broken".into(),
            }
        } else {
            JobFinish::Done
        };
        // The first done job of each tenant finishes an hour later than the others.
        let at = if j.key.ends_with("-done-0") {
            t0 + Duration::hours(1)
        } else {
            t0
        };
        assert!(store.finish_job(j, &how, at).await.unwrap());
    }
    // What /metrics shows: nothing overdue now, two dead; two hours on, the later jobs are due.
    assert_eq!(
        store.job_backlog(t0).await.unwrap(),
        JobBacklog {
            due: 0,
            oldest_due: None,
            dead: 2
        }
    );
    assert_eq!(
        store.job_backlog(t0 + Duration::hours(2)).await.unwrap(),
        JobBacklog {
            due: 2,
            oldest_due: Some(t0 + Duration::seconds(3600)),
            dead: 2
        }
    );
    let cut = t0 + Duration::minutes(30);
    assert_eq!(
        store.prune_done_jobs(cut).await.unwrap(),
        4,
        "two per tenant"
    );
    assert_eq!(
        store.prune_done_jobs(cut).await.unwrap(),
        0,
        "nothing left to prune"
    );
    for t in [&a, &b] {
        let left: Vec<(String, JobStatus)> = store
            .list_jobs(t.scope.tenant_id, None, all())
            .await
            .unwrap()
            .data
            .into_iter()
            .map(|j| (j.key[2..].to_string(), j.status))
            .collect();
        let mut left = left;
        left.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(
            left,
            vec![
                ("dead".to_string(), JobStatus::Dead),
                ("done-0".to_string(), JobStatus::Done),
                ("later".to_string(), JobStatus::Pending),
            ]
        );
    }
    assert_eq!(
        store
            .prune_done_jobs(t0 + Duration::hours(2))
            .await
            .unwrap(),
        2
    );
}
