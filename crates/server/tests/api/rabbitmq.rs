//! Events through RabbitMQ (when `VENTROS_TEST_AMQP_URL` is set): the relay publishes with
//! confirms, Ventros' consumers read their quorum queues, and the timeline and webhooks
//! follow as they do in process. Both backends.

use crate::helpers::{TestApp, conversation};
use axum::http::StatusCode as AxStatus;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn exchange() -> String {
    format!("ventros.test.{}", uuid::Uuid::now_v7().simple())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_events_reach_the_timeline_and_webhooks_through_rabbitmq() {
    let Some(url) = ventros_testkit::amqp_url("API over RabbitMQ") else {
        return;
    };
    let x = exchange();
    let app = TestApp::sqlite_with(|c| {
        c.amqp_url = Some(url.clone());
        c.amqp_exchange = x.clone();
    })
    .await
    .unwrap();
    through_rabbitmq(&app, &url, &x).await;
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_events_reach_the_timeline_and_webhooks_through_rabbitmq() {
    let Some(url) = ventros_testkit::amqp_url("API over RabbitMQ") else {
        return;
    };
    let x = exchange();
    let Some(app) = TestApp::postgres_with(|c| {
        c.amqp_url = Some(url.clone());
        c.amqp_exchange = x.clone();
    })
    .await
    else {
        return;
    };
    through_rabbitmq(&app, &url, &x).await;
    app.stop().await;
}

async fn through_rabbitmq(app: &TestApp, url: &str, x: &str) {
    let key = app.tenant("acme").await.api_key;
    let (_, ready) = app.get("/ready", &key).await;
    assert_eq!(ready["bus"], "rabbitmq", "{ready}");
    // A receiver for message events.
    let got: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = got.clone();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: axum::body::Bytes| {
            let sink = sink.clone();
            async move {
                sink.lock()
                    .unwrap()
                    .push(serde_json::from_slice(&body).unwrap());
                AxStatus::OK
            }
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", l.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(l, hook).await;
    });
    let (s, _) = app
        .post(
            "/v1/webhooks",
            &key,
            json!({"url": hook_url, "events": ["message.received"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    // The worker side: Ventros' consumers on their queues.
    let cfg = ventros_bus_rabbitmq::BusConfig {
        exchange: x.to_string(),
        ..ventros_bus_rabbitmq::BusConfig::new(url)
    };
    let rabbit = || {
        ventros_bus_rabbitmq::RabbitConsumers::new(
            cfg.clone(),
            ventros_server::consumers(&app.store, &app.clock()),
        )
    };
    rabbit().declare_topology().await.unwrap();
    let (stop, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(rabbit().run(rx));

    // The conversation helper runs the relay: it publishes to the exchange, with confirms.
    let conv = conversation(app, &key, "5511944443333").await;
    app.drain().await;
    let (_, pending) = app.get("/ready", &key).await;
    assert_eq!(
        pending["outbox"]["pending"], 0,
        "every row marked published"
    );
    // The consumers work on their own time: wait (10 s at most) for what they produce.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        app.jobs().run_until_idle().await.unwrap();
        let timeline = app
            .list(&format!("/v1/contacts/{}/events", conv.contact), &key)
            .await;
        let delivered = got.lock().unwrap().len();
        if !timeline.is_empty() && delivered >= 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "timeline {timeline:?}, webhooks {delivered}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let bodies = got.lock().unwrap().clone();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_eq!(bodies[0]["type"], "message.received");
    let (_, c) = app
        .call(
            Method::GET,
            &format!("/v1/contacts/{}/events", conv.contact),
            Some(&key),
            None,
        )
        .await;
    assert!(
        c["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["summary"] == "Conversation started"),
        "{c}"
    );
    let _ = stop.send(true);
    rabbit().delete_topology().await.unwrap();
}
