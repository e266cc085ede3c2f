//! With `VENTROS_REDIS_URL`, every event the relay publishes also goes to the Redis channel
//! named after its type (when `VENTROS_TEST_REDIS_URL` is set).

use crate::helpers::{TestApp, conversation};
use futures_util::StreamExt;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_published_to_redis_channels_named_after_their_type() {
    let Some(url) = ventros_testkit::redis_url("the Redis sink") else {
        return;
    };
    let prefix = format!("api.{}.", uuid::Uuid::now_v7().simple());
    let app = TestApp::sqlite_with(|c| {
        c.redis_url = Some(url.clone());
        c.redis_channel_prefix = prefix.clone();
    })
    .await
    .unwrap();
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut sub = client.get_async_pubsub().await.unwrap();
    sub.psubscribe(format!("{prefix}message.*")).await.unwrap();
    let key = app.tenant("acme").await.api_key;
    // The helper runs the relay, which publishes in process and to Redis.
    conversation(&app, &key, "5511933332222").await;
    let mut got = Vec::new();
    let mut stream = sub.on_message();
    while got.len() < 2 {
        let m = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
            .await
            .expect("published in time")
            .unwrap();
        let e: Value = serde_json::from_str(&m.get_payload::<String>().unwrap()).unwrap();
        assert_eq!(
            m.get_channel_name(),
            format!("{prefix}{}", e["type"].as_str().unwrap())
        );
        got.push(e["type"].as_str().unwrap().to_string());
    }
    assert_eq!(got, ["message.received", "message.sent"]);
    drop(stream);
    app.stop().await;
}
