//! Outbound webhooks: subscriptions, Standard Webhooks signatures, the retry schedule, 410
//! and long failure disabling a subscription, order per aggregate, the delivery log and a
//! retry by hand, against a receiver on loopback.

use crate::both_backends;
use crate::helpers::{TestApp, code};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxStatus};
use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::{Arc, Mutex};
use ventros_app::webhook_signing::sign;
use ventros_domain::webhook::DELIVERY_JOB;
use ventros_waha::sample;

both_backends!(
    a_subscription_shows_its_secret_once_and_checks_its_filters,
    an_event_is_delivered_once_signed_the_standard_webhooks_way,
    a_failed_delivery_is_retried_on_the_schedule_and_logged,
    a_410_disables_the_subscription_at_once,
    long_failure_disables_the_subscription,
    deliveries_of_one_aggregate_leave_in_order,
    deliveries_run_side_by_side_up_to_the_endpoints_cap,
    a_delivery_held_past_its_lease_stays_with_its_worker,
    a_slow_delivery_never_holds_back_a_timer,
    a_dead_delivery_is_sent_again_by_hand_with_its_event_id,
    a_rotated_secret_signs_beside_the_new_one_and_test_events_reach_one_endpoint,
    a_range_is_replayed_with_the_original_event_ids,
    the_log_keeps_finished_deliveries_for_its_retention,
);

/// What the receiver got: headers and body of each request.
#[derive(Default)]
struct Inbox {
    got: Mutex<Vec<(HeaderMap, Vec<u8>)>>,
    /// Statuses to answer, in order; 200 once they run out.
    answers: Mutex<VecDeque<u16>>,
    /// Answer every request with this status instead (when set).
    always: Mutex<Option<u16>>,
}

impl Inbox {
    fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| serde_json::from_slice(b).unwrap())
            .collect()
    }

    fn types(&self) -> Vec<String> {
        self.bodies()
            .iter()
            .map(|b| b["type"].as_str().unwrap().to_string())
            .collect()
    }
}

async fn receive(
    State(i): State<Arc<Inbox>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AxStatus {
    i.got.lock().unwrap().push((headers, body.to_vec()));
    let status = match *i.always.lock().unwrap() {
        Some(s) => s,
        None => i.answers.lock().unwrap().pop_front().unwrap_or(200),
    };
    AxStatus::from_u16(status).unwrap()
}

async fn receiver() -> (Arc<Inbox>, String) {
    let inbox = Arc::new(Inbox::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(inbox.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    (inbox, url)
}

struct Hooked {
    key: String,
    channel: String,
    webhook: Value,
    inbox: Arc<Inbox>,
}

/// A tenant with a channel and a subscription to `events` at a fresh receiver.
async fn hooked(app: &TestApp, events: Value) -> Hooked {
    let key = app.tenant("acme").await.api_key;
    let channel = app.channel(&key, None).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (inbox, url) = receiver().await;
    let (s, webhook) = app
        .post("/v1/webhooks", &key, json!({"url": url, "events": events}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{webhook}");
    Hooked {
        key,
        channel,
        webhook,
        inbox,
    }
}

impl Hooked {
    fn id(&self) -> &str {
        self.webhook["id"].as_str().unwrap()
    }

    /// A customer's message through the WAHA webhook.
    async fn customer_writes(&self, app: &TestApp, n: u32) {
        let body = sample::text_message(
            Some(&format!("evt_hook_{n}")),
            "5511955554444",
            &format!("HOOK{n}"),
            false,
            "hello",
            chrono::Utc::now().timestamp(),
        );
        assert_eq!(
            app.webhook(&self.channel, &body, &[]).await.0,
            StatusCode::OK
        );
    }

    /// One delivery with its attempts.
    async fn delivery(&self, app: &TestApp, id: &str) -> Value {
        app.ok(
            Method::GET,
            &format!("/v1/webhooks/{}/deliveries/{id}", self.id()),
            &self.key,
            None,
        )
        .await
    }

    async fn deliveries(&self, app: &TestApp, query: &str) -> Vec<Value> {
        app.list(
            &format!("/v1/webhooks/{}/deliveries{query}", self.id()),
            &self.key,
        )
        .await
    }
}

/// Verifies a delivery with the reference Python library, as an integrator would (when a
/// Python with `standardwebhooks` is configured); a wrong secret must fail there too.
fn reference_verify(secret: &str, headers: &HeaderMap, body: &[u8]) {
    let Some(python) = ventros_testkit::standardwebhooks_python("webhook signatures") else {
        return;
    };
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
case = json.load(sys.stdin)
Webhook(case["secret"]).verify(case["body"].encode(), case["headers"])
try:
    Webhook(case["other"]).verify(case["body"].encode(), case["headers"])
    sys.exit("a wrong secret verified")
except Exception:
    pass
print("verified")
"#;
    let hs: serde_json::Map<String, Value> =
        ["webhook-id", "webhook-timestamp", "webhook-signature"]
            .iter()
            .map(|k| {
                (
                    k.to_string(),
                    json!(headers.get(*k).unwrap().to_str().unwrap()),
                )
            })
            .collect();
    let case = json!({
        "secret": secret,
        "other": ventros_app::webhook_signing::new_secret(),
        "body": String::from_utf8(body.to_vec()).unwrap(),
        "headers": hs,
    });
    let mut child = std::process::Command::new(python)
        .arg("-c")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(case.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("verified"),
        "standardwebhooks: {} {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Publishes what is in the outbox (the fan-out runs as a relay consumer), then runs every
/// due job (the deliveries).
async fn deliver(app: &TestApp) {
    app.drain().await;
    app.jobs().run_until_idle().await.unwrap();
}

async fn a_subscription_shows_its_secret_once_and_checks_its_filters(app: &TestApp) {
    let key = app.tenant("acme").await.api_key;
    let body = json!({"url": "http://127.0.0.1:9/hook", "events": ["message.*", "session.ended"], "description": "CRM sync"});
    let create = || {
        app.send(
            Method::POST,
            "/v1/webhooks",
            Some(&key),
            Some(body.clone()),
            &[("idempotency-key", "hook-1")],
        )
    };
    let first = create().await;
    assert_eq!(first.status, StatusCode::CREATED);
    let created = first.body;
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_"), "{created}");
    assert_eq!(created["events"], json!(["message.*", "session.ended"]));
    let id = created["id"].as_str().unwrap();
    let (_, got) = app.get(&format!("/v1/webhooks/{id}"), &key).await;
    assert_eq!(got["secret"], Value::Null, "shown once: {got}");
    assert_eq!(got["enabled"], json!(true));
    // The same request again cannot show the secret again.
    let again = create().await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.body["error"]["code"], "secret_already_shown");
    // Unknown types are refused with the catalogue; so are URLs that are not http(s).
    let (s, v) = app
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": "http://127.0.0.1:9/", "events": ["message.recieved"]}),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    assert!(v.to_string().contains("message.received"), "{v}");
    let (s, _) = app
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": "ftp://127.0.0.1/", "events": ["*"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    // Change, list, delete.
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/v1/webhooks/{id}"),
            Some(&key),
            Some(json!({"events": ["session.*"], "description": null, "enabled": false})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["events"].clone(),
            v["description"].clone(),
            v["enabled"].clone()
        ),
        (json!(["session.*"]), Value::Null, json!(false))
    );
    assert_eq!(app.list("/v1/webhooks", &key).await.len(), 1);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/webhooks/{id}"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/v1/webhooks/{id}"), &key).await.0,
        StatusCode::NOT_FOUND
    );
    let types = app.event_types(&key).await;
    for t in ["webhook.created", "webhook.updated", "webhook.deleted"] {
        assert!(types.contains(&t.to_string()), "{t}: {types:?}");
    }
    let feed = app
        .list("/v1/events?limit=200", &key)
        .await
        .iter()
        .map(Value::to_string)
        .collect::<String>();
    assert!(!feed.contains(secret), "no event carries the secret");
}

async fn an_event_is_delivered_once_signed_the_standard_webhooks_way(app: &TestApp) {
    let h = hooked(app, json!(["message.*"])).await;
    let secret = h.webhook["secret"].as_str().unwrap().to_string();
    h.customer_writes(app, 1).await;
    deliver(app).await;
    // Published again (at least once): the fan-out remembers it handled the event.
    deliver(app).await;
    let got = h.inbox.got.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        1,
        "only message.* and each once: {:?}",
        h.inbox.types()
    );
    let (headers, body) = &got[0];
    let event: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(event["type"], "message.received");
    let hv = |k: &str| headers.get(k).unwrap().to_str().unwrap().to_string();
    assert_eq!(
        hv("webhook-id"),
        event["id"].as_str().unwrap(),
        "the event id, to dedupe on"
    );
    let ts: i64 = hv("webhook-timestamp").parse().unwrap();
    assert!((chrono::Utc::now().timestamp() - ts).abs() < 120);
    assert_eq!(
        Some(hv("webhook-signature")),
        sign(&secret, &hv("webhook-id"), ts, body),
        "v1, HMAC-SHA256 of id.timestamp.body"
    );
    assert!(hv("user-agent").starts_with("Ventros/"));
    reference_verify(&secret, headers, body);
    assert_eq!(hv("content-type"), "application/json");
    let log = h.deliveries(app, "").await;
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0]["status"].clone(), log[0]["attempts"].clone()),
        (json!("succeeded"), json!(1))
    );
    let one = h.delivery(app, log[0]["id"].as_str().unwrap()).await;
    assert_eq!(one["attempt_log"][0]["status_code"], 200);
    assert_eq!(one["event_id"], event["id"]);
}

async fn a_failed_delivery_is_retried_on_the_schedule_and_logged(app: &TestApp) {
    let h = hooked(app, json!(["message.received"])).await;
    h.inbox.answers.lock().unwrap().extend([500, 503]);
    h.customer_writes(app, 1).await;
    deliver(app).await;
    let d = &h.deliveries(app, "?status=pending").await[0];
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["last_status_code"], 500);
    let next: chrono::DateTime<chrono::Utc> =
        d["next_attempt_at"].as_str().unwrap().parse().unwrap();
    let at: chrono::DateTime<chrono::Utc> = d["updated_at"].as_str().unwrap().parse().unwrap();
    let wait = next - at;
    assert!((4..=6).contains(&wait.num_seconds()), "5 s ± 10%: {wait}");
    // Not before its time.
    app.jobs().run_until_idle().await.unwrap();
    assert_eq!(h.inbox.got.lock().unwrap().len(), 1);
    app.advance(Duration::seconds(6));
    app.jobs().run_until_idle().await.unwrap();
    assert_eq!(h.inbox.got.lock().unwrap().len(), 2, "the second attempt");
    // The third, 5 minutes (± 10%) later, succeeds; every attempt is in the log.
    app.advance(Duration::seconds(331));
    app.jobs().run_until_idle().await.unwrap();
    let d = &h.deliveries(app, "").await[0];
    assert_eq!(
        (d["status"].clone(), d["attempts"].clone()),
        (json!("succeeded"), json!(3))
    );
    let one = h.delivery(app, d["id"].as_str().unwrap()).await;
    let codes: Vec<Value> = one["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].clone())
        .collect();
    assert_eq!(codes, vec![json!(500), json!(503), json!(200)]);
    let ids: Vec<String> = h
        .inbox
        .got
        .lock()
        .unwrap()
        .iter()
        .map(|(hd, _)| hd.get("webhook-id").unwrap().to_str().unwrap().to_string())
        .collect();
    assert!(
        ids.iter().all(|i| *i == ids[0]),
        "one webhook-id on every attempt"
    );
    assert_eq!(h.deliveries(app, "?status=dead").await.len(), 0);
    assert_eq!(
        h.deliveries(app, "?event_type=session.ended").await.len(),
        0
    );
}

async fn a_410_disables_the_subscription_at_once(app: &TestApp) {
    let h = hooked(app, json!(["message.*"])).await;
    h.inbox.answers.lock().unwrap().push_back(410);
    h.customer_writes(app, 1).await;
    deliver(app).await;
    let (_, w) = app.get(&format!("/v1/webhooks/{}", h.id()), &h.key).await;
    assert_eq!(
        (w["enabled"].clone(), w["disabled_reason"].clone()),
        (json!(false), json!("gone"))
    );
    assert_eq!(h.deliveries(app, "").await[0]["status"], "dead");
    assert!(
        app.event_types(&h.key)
            .await
            .contains(&"webhook.disabled".to_string())
    );
    // Nothing more is delivered until it is enabled again.
    h.customer_writes(app, 2).await;
    deliver(app).await;
    assert_eq!(h.inbox.got.lock().unwrap().len(), 1);
}

async fn long_failure_disables_the_subscription(app: &TestApp) {
    let h = hooked(app, json!(["message.received"])).await;
    *h.inbox.always.lock().unwrap() = Some(500);
    h.customer_writes(app, 1).await;
    deliver(app).await;
    let (_, w) = app.get(&format!("/v1/webhooks/{}", h.id()), &h.key).await;
    assert!(
        w["failing_since"].is_string() && w["enabled"] == json!(true),
        "{w}"
    );
    // 121 hours of failures later (the default is 120), the next failure disables it.
    app.advance(Duration::hours(121));
    h.customer_writes(app, 2).await;
    deliver(app).await;
    let (_, w) = app.get(&format!("/v1/webhooks/{}", h.id()), &h.key).await;
    assert_eq!(
        (w["enabled"].clone(), w["disabled_reason"].clone()),
        (json!(false), json!("failing")),
        "{w}"
    );
    let disabled = app
        .list("/v1/events?limit=200", &h.key)
        .await
        .into_iter()
        .filter(|e| e["type"] == "webhook.disabled")
        .collect::<Vec<_>>();
    assert_eq!(disabled.len(), 1);
    assert_eq!(disabled[0]["payload"]["reason"], "failing");
}

async fn deliveries_of_one_aggregate_leave_in_order(app: &TestApp) {
    let h = hooked(app, json!(["message.*"])).await;
    // A message written on the phone, then its delivery ack: two events of one message.
    let sent = sample::text_message(
        Some("evt_out"),
        "5511955554444",
        "OUT1",
        true,
        "our offer",
        chrono::Utc::now().timestamp(),
    );
    assert_eq!(app.webhook(&h.channel, &sent, &[]).await.0, StatusCode::OK);
    let ack = sample::ack("evt_ack", "5511955554444", "OUT1", true, 3);
    assert_eq!(app.webhook(&h.channel, &ack, &[]).await.0, StatusCode::OK);
    h.inbox.answers.lock().unwrap().push_back(500);
    deliver(app).await;
    assert_eq!(
        h.inbox.types(),
        ["message.sent"],
        "the ack's event waits for the failed one"
    );
    for _ in 0..3 {
        app.advance(Duration::seconds(6));
        app.jobs().run_until_idle().await.unwrap();
    }
    assert_eq!(
        h.inbox.types(),
        ["message.sent", "message.sent", "message.status_changed"]
    );
}

/// A receiver that holds every request until its gate opens, says when one arrives, and
/// counts how many were open at once.
struct Gate {
    /// Told of each request as it arrives.
    arrived: tokio::sync::mpsc::UnboundedSender<()>,
    /// Turns true to let every request held (and every later one) answer 200.
    open: tokio::sync::watch::Receiver<bool>,
    got: AtomicUsize,
    in_flight: AtomicUsize,
    most: AtomicUsize,
}

async fn held(State(g): State<Arc<Gate>>) -> AxStatus {
    g.got.fetch_add(1, SeqCst);
    let now = g.in_flight.fetch_add(1, SeqCst) + 1;
    g.most.fetch_max(now, SeqCst);
    let _ = g.arrived.send(());
    let _ = g.open.clone().wait_for(|o| *o).await;
    g.in_flight.fetch_sub(1, SeqCst);
    AxStatus::OK
}

/// Points `h`'s subscription at a [`Gate`]: the gate, its switch and its arrivals.
async fn held_endpoint(
    app: &TestApp,
    h: &Hooked,
) -> (
    Arc<Gate>,
    tokio::sync::watch::Sender<bool>,
    tokio::sync::mpsc::UnboundedReceiver<()>,
) {
    let (arrived, arrivals) = tokio::sync::mpsc::unbounded_channel();
    let (gate, open) = tokio::sync::watch::channel(false);
    let g = Arc::new(Gate {
        arrived,
        open,
        got: AtomicUsize::new(0),
        in_flight: AtomicUsize::new(0),
        most: AtomicUsize::new(0),
    });
    let router = axum::Router::new()
        .route("/held", axum::routing::post(held))
        .with_state(g.clone());
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/held", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, router).await;
    });
    let (s, v) = app
        .patch(
            &format!("/v1/webhooks/{}", h.id()),
            &h.key,
            json!({"url": url}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    (g, gate, arrivals)
}

async fn deliveries_run_side_by_side_up_to_the_endpoints_cap(app: &TestApp) {
    // The default cap: four deliveries on their way to one endpoint at once.
    const CAP: usize = 4;
    let h = hooked(app, json!(["message.received"])).await;
    let (g, gate, mut arrivals) = held_endpoint(app, &h).await;
    for n in 0..6 {
        h.customer_writes(app, n).await;
    }
    app.drain().await;
    let jobs = app.jobs();
    let round = tokio::spawn(async move { jobs.run_once().await });
    // Four requests are held open at the same time: they were sent side by side.
    for i in 0..CAP {
        tokio::time::timeout(std::time::Duration::from_secs(20), arrivals.recv())
            .await
            .unwrap_or_else(|_| panic!("only {i} deliveries on their way at once"));
    }
    // While those four are held, the other two wait for a free slot.
    let fifth = tokio::time::timeout(std::time::Duration::from_millis(500), arrivals.recv()).await;
    assert!(fifth.is_err(), "a fifth delivery while four were open");
    gate.send(true).unwrap();
    assert!(round.await.unwrap().unwrap() >= 6, "one round ran them all");
    assert_eq!((g.got.load(SeqCst), g.most.load(SeqCst)), (6, CAP));
    let ds = h.deliveries(app, "?status=succeeded").await;
    assert_eq!(ds.len(), 6, "{ds:?}");
    assert!(
        ds.iter().all(|d| d["attempts"] == 1),
        "waiting is no attempt: {ds:?}"
    );
}

/// A delivery held open past its job's lease keeps the job: the runner renews the lease, so
/// another worker does not claim it and post it a second time meanwhile.
async fn a_delivery_held_past_its_lease_stays_with_its_worker(app: &TestApp) {
    let h = hooked(app, json!(["message.received"])).await;
    let (g, gate, mut arrivals) = held_endpoint(app, &h).await;
    h.customer_writes(app, 0).await;
    app.drain().await;
    let jobs = app.jobs();
    let round = tokio::spawn(async move { jobs.run_once().await });
    tokio::time::timeout(std::time::Duration::from_secs(20), arrivals.recv())
        .await
        .expect("the delivery reached the endpoint");
    // 50 s into the 60 s lease the round renews it (it looks every second).
    let mut renewals = app.jobs().lease_renewals();
    renewals.borrow_and_update();
    app.advance(Duration::seconds(50));
    tokio::time::timeout(std::time::Duration::from_secs(10), renewals.changed())
        .await
        .expect("the lease was renewed")
        .unwrap();
    // 80 s after the claim, past the lease it was claimed with, another worker looks.
    app.advance(Duration::seconds(30));
    let now = app.clock().now();
    let taken = app
        .store
        .claim_jobs(100, now, now + Duration::seconds(60))
        .await
        .unwrap();
    assert!(
        taken.iter().all(|j| j.kind != DELIVERY_JOB),
        "another worker claimed the delivery in flight: {taken:?}"
    );
    gate.send(true).unwrap();
    round.await.unwrap().unwrap();
    assert_eq!(g.got.load(SeqCst), 1, "posted once");
    let ds = h.deliveries(app, "?status=succeeded").await;
    assert_eq!(ds.len(), 1, "{ds:?}");
    assert_eq!(ds[0]["attempts"], 1);
}

/// Deliveries have rounds of their own: while one is held open by a slow endpoint, a
/// session's inactivity timer that falls due meanwhile still ends the session.
async fn a_slow_delivery_never_holds_back_a_timer(app: &TestApp) {
    let h = hooked(app, json!(["message.received"])).await;
    let (g, gate, mut arrivals) = held_endpoint(app, &h).await;
    h.customer_writes(app, 0).await;
    app.drain().await;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let jobs = app.jobs();
    let mut idles = app.jobs().idle_waits();
    let worker = tokio::spawn(async move { jobs.run(rx).await });
    tokio::time::timeout(std::time::Duration::from_secs(20), arrivals.recv())
        .await
        .expect("the delivery reached the endpoint");
    // The customer's session times out (30 minutes) while the delivery is still held.
    app.advance(Duration::minutes(31));
    // Well within the 15 s a held delivery takes to time out.
    let waited = std::time::Instant::now();
    while !app
        .list("/v1/sessions?status=active", &h.key)
        .await
        .is_empty()
    {
        // Looked at again after each round that found nothing more to do.
        let left = std::time::Duration::from_secs(10).saturating_sub(waited.elapsed());
        assert!(
            tokio::time::timeout(left, idles.changed()).await.is_ok(),
            "the session's timer waited for the delivery"
        );
    }
    assert_eq!(g.in_flight.load(SeqCst), 1, "the delivery is still held");
    gate.send(true).unwrap();
    let _ = stop.send(true);
    worker.await.unwrap();
    assert_eq!(g.got.load(SeqCst), 1);
    assert_eq!(h.deliveries(app, "?status=succeeded").await.len(), 1);
}

async fn a_dead_delivery_is_sent_again_by_hand_with_its_event_id(app: &TestApp) {
    let h = hooked(app, json!(["message.received"])).await;
    *h.inbox.always.lock().unwrap() = Some(500);
    h.customer_writes(app, 1).await;
    deliver(app).await;
    // Through the whole schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    for _ in 0..7 {
        app.advance(Duration::hours(11));
        app.jobs().run_until_idle().await.unwrap();
    }
    let dead = h.deliveries(app, "?status=dead").await;
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["attempts"], 8);
    *h.inbox.always.lock().unwrap() = None;
    let path = format!(
        "/v1/webhooks/{}/deliveries/{}/retry",
        h.id(),
        dead[0]["id"].as_str().unwrap()
    );
    let (s, v) = app.call(Method::POST, &path, Some(&h.key), None).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{v}");
    app.jobs().run_until_idle().await.unwrap();
    let d = &h.deliveries(app, "").await[0];
    assert_eq!(
        (d["status"].clone(), d["attempts"].clone()),
        (json!("succeeded"), json!(9))
    );
    let bodies = h.inbox.bodies();
    assert_eq!(bodies.len(), 9);
    assert!(
        bodies.iter().all(|b| b["id"] == bodies[0]["id"]),
        "the original event id"
    );
}

async fn a_rotated_secret_signs_beside_the_new_one_and_test_events_reach_one_endpoint(
    app: &TestApp,
) {
    let h = hooked(app, json!(["*"])).await;
    let old = h.webhook["secret"].as_str().unwrap().to_string();
    let (other_inbox, other_url) = receiver().await;
    let (s, _) = app
        .post(
            "/v1/webhooks",
            &h.key,
            json!({"url": other_url, "events": ["*"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let rotated = app
        .ok(
            Method::POST,
            &format!("/v1/webhooks/{}/rotate-secret", h.id()),
            &h.key,
            None,
        )
        .await;
    let new = rotated["secret"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(rotated["previous_secret_until"].is_string());
    deliver(app).await;
    h.inbox.got.lock().unwrap().clear();
    other_inbox.got.lock().unwrap().clear();
    let (s, t) = app
        .call(
            Method::POST,
            &format!("/v1/webhooks/{}/test", h.id()),
            Some(&h.key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{t}");
    deliver(app).await;
    let got = h.inbox.got.lock().unwrap().clone();
    let test: Vec<_> = got
        .iter()
        .filter(|(_, b)| serde_json::from_slice::<Value>(b).unwrap()["type"] == "webhook.test")
        .collect();
    assert_eq!(test.len(), 1, "{:?}", h.inbox.types());
    let (headers, body) = test[0];
    assert_eq!(
        headers.get("webhook-id").unwrap().to_str().unwrap(),
        t["event_id"].as_str().unwrap()
    );
    let hv = |k: &str| headers.get(k).unwrap().to_str().unwrap().to_string();
    let ts: i64 = hv("webhook-timestamp").parse().unwrap();
    let sigs: Vec<String> = hv("webhook-signature")
        .split(' ')
        .map(String::from)
        .collect();
    assert_eq!(
        sigs,
        vec![
            sign(&new, &hv("webhook-id"), ts, body).unwrap(),
            sign(&old, &hv("webhook-id"), ts, body).unwrap()
        ],
        "both secrets sign during the grace period"
    );
    assert!(
        !other_inbox.types().contains(&"webhook.test".to_string()),
        "a test event reaches only its own subscription"
    );
    // After 24 hours only the new secret signs.
    app.advance(Duration::hours(25));
    app.call(
        Method::POST,
        &format!("/v1/webhooks/{}/test", h.id()),
        Some(&h.key),
        None,
    )
    .await;
    deliver(app).await;
    let last = h.inbox.got.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        last.0
            .get("webhook-signature")
            .unwrap()
            .to_str()
            .unwrap()
            .split(' ')
            .count(),
        1
    );
}

async fn a_range_is_replayed_with_the_original_event_ids(app: &TestApp) {
    let h = hooked(app, json!(["message.*", "session.started"])).await;
    let start = chrono::Utc::now() - Duration::seconds(1);
    h.customer_writes(app, 1).await;
    deliver(app).await;
    app.advance(Duration::minutes(10));
    let middle = chrono::Utc::now() + Duration::minutes(5);
    h.customer_writes(app, 2).await;
    deliver(app).await;
    let first: Vec<Value> = h.inbox.bodies();
    assert_eq!(
        first.len(),
        3,
        "two messages and the session: {:?}",
        h.inbox.types()
    );
    let replay = |body: Value| {
        let path = format!("/v1/webhooks/{}/replay", h.id());
        let key = h.key.clone();
        async move { app.call(Method::POST, &path, Some(&key), Some(body)).await }
    };
    // Only the first ten minutes, only messages.
    let (s, v) = replay(json!({"since": start, "until": middle, "events": ["message.*"]})).await;
    assert_eq!(
        (s, v["queued"].clone()),
        (StatusCode::ACCEPTED, json!(1)),
        "{v}"
    );
    app.jobs().run_until_idle().await.unwrap();
    let got = h.inbox.bodies();
    assert_eq!(got.len(), 4);
    let first_message = first
        .iter()
        .find(|b| b["type"] == "message.received")
        .unwrap();
    assert_eq!(
        got[3]["id"], first_message["id"],
        "the original event, with its id"
    );
    // Everything since the start: every delivery that exists goes again.
    let (_, v) = replay(json!({"since": start})).await;
    assert_eq!(v["queued"], 3);
    app.jobs().run_until_idle().await.unwrap();
    let got = h.inbox.bodies();
    let again: Vec<&Value> = got[4..].iter().map(|b| &b["id"]).collect();
    let originals: Vec<&Value> = first.iter().map(|b| &b["id"]).collect();
    let mut sorted_again = again.clone();
    sorted_again.sort_by_key(|v| v.to_string());
    let mut sorted_originals = originals.clone();
    sorted_originals.sort_by_key(|v| v.to_string());
    assert_eq!(sorted_again, sorted_originals);
    assert_eq!(
        h.deliveries(app, "").await.len(),
        3,
        "still one delivery per event"
    );
    // A range that ends before it starts, or a type nobody knows, is refused.
    let (s, _) = replay(json!({"since": middle, "until": start})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = replay(json!({"since": start, "events": ["nothing.here"]})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn the_log_keeps_finished_deliveries_for_its_retention(app: &TestApp) {
    let h = hooked(app, json!(["message.received"])).await;
    h.customer_writes(app, 1).await;
    deliver(app).await;
    *h.inbox.always.lock().unwrap() = Some(500);
    app.advance(Duration::days(29));
    h.customer_writes(app, 2).await;
    deliver(app).await;
    let retention = ventros_server::retention::Retention {
        job_hours: 168,
        webhook_log_days: 30,
    };
    let clock = ventros_app::ports::FixedClock::new(chrono::Utc::now() + Duration::days(31));
    ventros_server::retention::prune_once(app.store.as_ref(), &clock, retention).await;
    let left = h.deliveries(app, "").await;
    assert_eq!(
        left.len(),
        1,
        "the succeeded one went after 30 days: {left:?}"
    );
    assert_eq!(left[0]["status"], "pending", "a pending delivery stays");
    let one = h.delivery(app, left[0]["id"].as_str().unwrap()).await;
    assert_eq!(one["attempt_log"].as_array().unwrap().len(), 1);
}
