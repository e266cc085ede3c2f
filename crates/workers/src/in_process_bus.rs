use async_trait::async_trait;
use std::sync::Arc;
use ventros_app::error::AppResult;
use ventros_app::ports::{EventConsumer, EventPublisher};
use ventros_domain::event::EventEnvelope;

/// The embedded bus: publishing hands the event to every subscribed consumer in turn. If one
/// fails, the publish fails, the outbox row stays unpublished and is retried later; consumers
/// that already handled it skip it (they are idempotent on event id), so the retry is
/// durable per consumer.
#[derive(Default, Clone)]
pub struct InProcessBus {
    consumers: Vec<Arc<dyn EventConsumer>>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn subscribe(mut self, c: Arc<dyn EventConsumer>) -> Self {
        self.consumers.push(c);
        self
    }

    pub fn consumer_names(&self) -> Vec<&'static str> {
        self.consumers.iter().map(|c| c.name()).collect()
    }
}

#[async_trait]
impl EventPublisher for InProcessBus {
    async fn publish(&self, event: &EventEnvelope) -> AppResult<()> {
        for c in &self.consumers {
            c.handle(event).await?;
        }
        Ok(())
    }
}
