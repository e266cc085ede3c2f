//! Redis pub/sub as an extra event sink (`VENTROS_REDIS_URL`): every event the relay publishes
//! is also published to the Redis channel named after its type (`message.received`), with the
//! same envelope as JSON. Pub/sub is at-most-once by nature: a subscriber that is not connected
//! misses the event, and a failed publish is logged, never retried and never holds the outbox
//! back. Consumers that need every event use RabbitMQ, webhooks or the feed.

use crate::connection::Connection;
use async_trait::async_trait;
use ventros_app::error::{AppError, AppResult};
use ventros_app::ports::EventPublisher;
use ventros_domain::event::EventEnvelope;

/// Publishes each event to `<prefix><type>`.
pub struct RedisSink {
    conn: Connection,
    prefix: String,
}

impl RedisSink {
    pub fn new(url: &str, prefix: &str) -> AppResult<Self> {
        Ok(RedisSink {
            conn: Connection::open(url)?,
            prefix: prefix.to_string(),
        })
    }

    pub fn channel_of(&self, event_type: &str) -> String {
        format!("{}{event_type}", self.prefix)
    }
}

#[async_trait]
impl EventPublisher for RedisSink {
    fn transport(&self) -> &'static str {
        "redis"
    }

    async fn publish(&self, e: &EventEnvelope) -> AppResult<()> {
        let body =
            serde_json::to_string(e).map_err(|x| AppError::internal(format!("event: {x}")))?;
        let channel = self.channel_of(&e.event_type);
        let _: i64 = self
            .conn
            .run(|mut c| async move {
                redis::cmd("PUBLISH")
                    .arg(channel)
                    .arg(body)
                    .query_async(&mut c)
                    .await
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        clippy::expect_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;
    use futures_util::StreamExt;
    use ventros_domain::event::{EventContext, EventType};
    use ventros_domain::ids::{ProjectId, TenantId};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_event_goes_to_the_channel_named_after_its_type() {
        let Some(url) = ventros_testkit::redis_url("redis sink") else {
            return;
        };
        let prefix = format!("test.{}.", uuid::Uuid::now_v7().simple());
        let sink = RedisSink::new(&url, &prefix).unwrap();
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut sub = client.get_async_pubsub().await.unwrap();
        sub.psubscribe(format!("{prefix}message.*")).await.unwrap();
        let e = EventEnvelope::new(
            &EventContext::default(),
            TenantId::new(),
            ProjectId::new(),
            EventType::MessageReceived,
            uuid::Uuid::now_v7(),
            chrono::Utc::now(),
            serde_json::json!({"body": "hello"}),
        );
        sink.publish(&e).await.unwrap();
        let msg = tokio::time::timeout(std::time::Duration::from_secs(5), sub.on_message().next())
            .await
            .expect("published in time")
            .unwrap();
        assert_eq!(msg.get_channel_name(), format!("{prefix}message.received"));
        let got: EventEnvelope =
            serde_json::from_str(&msg.get_payload::<String>().unwrap()).unwrap();
        assert_eq!(got, e, "the whole envelope");
        // Nobody listening is no error: pub/sub is at-most-once.
        let other = RedisSink::new(&url, &format!("{prefix}nobody.")).unwrap();
        other.publish(&e).await.unwrap();
    }

    #[test]
    fn a_bad_url_is_refused() {
        assert!(RedisSink::new("http://nope", "").is_err());
    }
}
