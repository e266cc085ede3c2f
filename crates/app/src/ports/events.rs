use crate::error::AppResult;
use async_trait::async_trait;
use ventros_domain::event::EventEnvelope;

/// Something that reacts to events. Delivery is at-least-once, so a consumer must be
/// idempotent on (event id, consumer name).
#[async_trait]
pub trait EventConsumer: Send + Sync {
    fn name(&self) -> &'static str;
    async fn handle(&self, event: &EventEnvelope) -> AppResult<()>;
}

/// Where the outbox relay publishes events (the in-process bus, RabbitMQ, …). `Ok` means
/// the transport has accepted the event durably (or every in-process consumer handled it).
#[async_trait]
pub trait EventPublisher: Send + Sync {
    async fn publish(&self, event: &EventEnvelope) -> AppResult<()>;
    /// The transport's name for `/ready` (`in_process`, `rabbitmq`).
    fn transport(&self) -> &'static str {
        "in_process"
    }
    /// Whether the transport can take events now (`/ready`).
    async fn ready(&self) -> AppResult<()> {
        Ok(())
    }
}
