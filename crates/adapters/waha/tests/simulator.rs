//! The simulator speaks like WAHA: the client gets each engine's answers from it, its echo and
//! acks reach the session's webhook (signed when asked), its files vanish after their lifetime,
//! and its faults look to the client like WAHA's.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use ventros_app::ports::{
    ContactGateway, GatewayError, GatewayTarget, MessageGateway, SendBody, SendRequest,
    SessionGateway,
};
use ventros_waha::sim::{EchoTiming, Engine, Fault, Served, SimConfig, Simulator};
use ventros_waha::{ClientConfig, WahaClient, verify_hex};

/// A webhook receiver: every body posted to it, with its signature header.
struct Hook {
    url: String,
    rx: mpsc::UnboundedReceiver<(Value, Option<String>, Vec<u8>)>,
    _task: tokio::task::JoinHandle<()>,
}

async fn hook() -> Hook {
    let (tx, rx) = mpsc::unbounded_channel();
    let tx = Arc::new(Mutex::new(tx));
    let app = axum::Router::new()
        .route(
            "/hook",
            axum::routing::post(
                |State(tx): State<Arc<Mutex<mpsc::UnboundedSender<_>>>>,
                 h: HeaderMap,
                 body: axum::body::Bytes| async move {
                    let v: Value = serde_json::from_slice(&body).unwrap();
                    let sig = h
                        .get("x-webhook-hmac")
                        .map(|v| v.to_str().unwrap().to_string());
                    let _ = tx.lock().unwrap().send((v, sig, body.to_vec()));
                    "ok"
                },
            ),
        )
        .with_state(tx);
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", l.local_addr().unwrap());
    let task = tokio::spawn(async move {
        let _ = axum::serve(l, app).await;
    });
    Hook {
        url,
        rx,
        _task: task,
    }
}

impl Hook {
    /// The next event of this name (others are skipped), within 5 s.
    async fn next(&mut self, event: &str) -> (Value, Option<String>, Vec<u8>) {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                let got = self.rx.recv().await.unwrap();
                if got.0["event"] == event {
                    return got;
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {event} webhook"))
    }
}

async fn sim(engine: Engine, hook: &Hook, tweak: impl FnOnce(&mut SimConfig)) -> Served {
    let mut cfg = SimConfig {
        engine,
        webhooks: vec![hook.url.clone()],
        ..SimConfig::default()
    };
    tweak(&mut cfg);
    Simulator::spawn(cfg, "127.0.0.1:0").await.unwrap()
}

fn client() -> WahaClient {
    WahaClient::new(ClientConfig {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_millis(800),
    })
    .unwrap()
}

fn target(s: &Served) -> GatewayTarget {
    GatewayTarget {
        base_url: s.base_url(),
        api_key: "waha-key".into(),
        session: "default".into(),
    }
}

fn text(t: &str) -> SendRequest {
    SendRequest {
        chat_id: "5511999998888@c.us".into(),
        body: SendBody::Text {
            text: t.into(),
            link_preview: false,
            mentions: vec![],
        },
        reply_to: None,
        reserved_id: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_engine_answers_in_its_shape_and_echoes_then_acks() {
    for engine in [Engine::Noweb, Engine::Gows, Engine::Webjs] {
        let mut h = hook().await;
        let s = sim(engine, &h, |_| {}).await;
        let id = client()
            .send(&target(&s), &text("hello"))
            .await
            .unwrap()
            .unwrap();
        assert!(
            id.starts_with("true_5511999998888@c.us_"),
            "{engine:?}: {id}"
        );
        let (echo, _, _) = h.next("message.any").await;
        assert_eq!(echo["payload"]["id"], json!(id), "{engine:?}");
        assert_eq!(
            (
                echo["payload"]["fromMe"].clone(),
                echo["payload"]["source"].clone()
            ),
            (json!(true), json!("api"))
        );
        assert_eq!(echo["engine"], engine.name());
        let (ack, _, _) = h.next("message.ack").await;
        assert_eq!(
            (ack["payload"]["id"].clone(), ack["payload"]["ack"].clone()),
            (json!(id), json!(2))
        );
        let got = client()
            .get_message(&target(&s), "5511999998888@c.us", &id, false)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(got.id, id);
        assert_eq!(s.sim.sent().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserved_ids_are_used_where_the_engine_can_and_refused_on_webjs() {
    let h = hook().await;
    let s = sim(Engine::Gows, &h, |_| {}).await;
    let c = client();
    let raw = c.new_message_id(&target(&s)).await.unwrap().unwrap();
    let req = SendRequest {
        reserved_id: Some(raw.clone()),
        ..text("with a reserved id")
    };
    let id = c.send(&target(&s), &req).await.unwrap().unwrap();
    assert_eq!(id, format!("true_5511999998888@c.us_{raw}"));
    let w = sim(Engine::Webjs, &h, |_| {}).await;
    assert_eq!(c.new_message_id(&target(&w)).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_echo_can_come_before_the_answer_or_never() {
    let mut h = hook().await;
    let s = sim(Engine::Noweb, &h, |_| {}).await;
    s.sim.set_echo(EchoTiming::Before);
    let id = client()
        .send(&target(&s), &text("early echo"))
        .await
        .unwrap()
        .unwrap();
    // The echo was posted (and answered) before the send returned: it is already waiting.
    let (echo, _, _) = h.rx.try_recv().unwrap();
    assert_eq!(
        (echo["event"].clone(), echo["payload"]["id"].clone()),
        (json!("message.any"), json!(id))
    );
    s.sim.set_echo(EchoTiming::Never);
    client().send(&target(&s), &text("no echo")).await.unwrap();
    assert_eq!(s.sim.sent().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn faults_look_like_wahas_failures() {
    let h = hook().await;
    let s = sim(Engine::Noweb, &h, |c| {
        c.slow_answer = Duration::from_secs(2)
    })
    .await;
    let c = client();
    s.sim.fail_next(&[
        Fault::Refuse,
        Fault::ServerError,
        Fault::TimeoutAfterSend,
        Fault::TimeoutBeforeSend,
    ]);
    assert!(matches!(
        c.send(&target(&s), &text("a")).await,
        Err(GatewayError::Refused {
            status: 422,
            code: "session_not_working",
            ..
        })
    ));
    assert!(
        c.send(&target(&s), &text("b"))
            .await
            .unwrap_err()
            .outcome_unknown()
    );
    assert!(s.sim.sent().is_empty(), "nothing sent yet");
    assert!(
        c.send(&target(&s), &text("c"))
            .await
            .unwrap_err()
            .outcome_unknown()
    );
    assert_eq!(s.sim.sent().len(), 1, "sent although the answer never came");
    assert!(
        c.send(&target(&s), &text("d"))
            .await
            .unwrap_err()
            .outcome_unknown()
    );
    assert_eq!(s.sim.sent().len(), 1);
    c.send(&target(&s), &text("e")).await.unwrap();
    assert_eq!(s.sim.sent().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_401_and_a_session_not_working_is_422() {
    let h = hook().await;
    let s = sim(Engine::Noweb, &h, |_| {}).await;
    let wrong = GatewayTarget {
        api_key: "nope".into(),
        ..target(&s)
    };
    assert!(matches!(
        client().session(&wrong).await,
        Err(GatewayError::Refused {
            status: 401,
            code: "unauthorized",
            ..
        })
    ));
    let other = GatewayTarget {
        session: "sales".into(),
        ..target(&s)
    };
    assert_eq!(client().session(&other).await.unwrap(), None);
    assert!(matches!(
        client().send(&other, &text("x")).await,
        Err(GatewayError::Refused {
            code: "session_not_found",
            ..
        })
    ));
    reqwest::Client::new()
        .post(format!("{}/sim/sessions/default/status", s.base_url()))
        .json(&json!({"status": "SCAN_QR_CODE"}))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        client().send(&target(&s), &text("x")).await,
        Err(GatewayError::Refused {
            code: "session_not_working",
            ..
        })
    ));
    assert!(
        client()
            .qr_png(&target(&s))
            .await
            .unwrap()
            .starts_with(b"\x89PNG")
    );
    let session = client().session(&target(&s)).await.unwrap().unwrap();
    assert_eq!(
        (session.status.as_str(), session.engine.as_deref()),
        ("SCAN_QR_CODE", Some("NOWEB"))
    );
}

/// A customer's message with a photo, as the simulator posts it; `lifetime` is how long its
/// file stays.
async fn photo(lifetime: Duration) -> (Served, Hook, Value, Option<String>, Vec<u8>) {
    let mut h = hook().await;
    let s = sim(Engine::Noweb, &h, |c| {
        c.hmac_key = Some("hook-secret".into());
        c.files_lifetime = lifetime;
    })
    .await;
    let r: Value = reqwest::Client::new()
        .post(format!("{}/sim/inbound", s.base_url()))
        .json(&json!({"from": "5511988887777", "text": "a photo", "media": {"mimetype": "image/jpeg", "data": "/9j/4AAQ"}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (msg, sig, raw) = h.next("message").await;
    assert_eq!(msg["payload"]["id"], r["id"]);
    (s, h, msg, sig, raw)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customers_message_arrives_signed_with_its_media() {
    let (s, _h, msg, sig, raw) = photo(Duration::from_secs(180)).await;
    assert!(
        verify_hex("hook-secret", &raw, sig.as_deref()),
        "signed like WAHA"
    );
    let url = msg["payload"]["media"]["url"].as_str().unwrap();
    let got = client().download(&target(&s), url, 1 << 20).await.unwrap();
    assert_eq!(
        (got.bytes, got.mimetype.as_deref()),
        (vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10], Some("image/jpeg"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_past_its_lifetime_is_gone_like_wahas() {
    let (s, _h, msg, _, _) = photo(Duration::ZERO).await;
    let url = msg["payload"]["media"]["url"].as_str().unwrap();
    assert!(matches!(
        client().download(&target(&s), url, 1 << 20).await,
        Err(GatewayError::Refused {
            status: 404,
            code: "not_found",
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_numbers_pictures_and_lids() {
    let h = hook().await;
    let s = sim(Engine::Noweb, &h, |_| {}).await;
    let http = reqwest::Client::new();
    for (path, body) in [
        ("absent", json!({"phone": "15550001111"})),
        (
            "pictures",
            json!({"contact": "5511988887777@c.us", "url": "https://pps.whatsapp.net/p.jpg"}),
        ),
        (
            "lids",
            json!({"lid": "123@lid", "pn": "5511988887777@c.us"}),
        ),
    ] {
        http.post(format!("{}/sim/{path}", s.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
    }
    let c = client();
    let t = target(&s);
    assert_eq!(c.check_exists(&t, "15550001111").await.unwrap(), None);
    assert_eq!(
        c.check_exists(&t, "5511988887777")
            .await
            .unwrap()
            .as_deref(),
        Some("551188887777@c.us"),
        "the Brazilian 9th digit, as WhatsApp often has it"
    );
    assert_eq!(
        c.profile_picture(&t, "5511988887777@c.us")
            .await
            .unwrap()
            .as_deref(),
        Some("https://pps.whatsapp.net/p.jpg")
    );
    assert_eq!(c.profile_picture(&t, "1@c.us").await.unwrap(), None);
    assert_eq!(
        c.lid_phone(&t, "123@lid").await.unwrap().as_deref(),
        Some("5511988887777@c.us")
    );
}
