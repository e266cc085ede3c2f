use async_trait::async_trait;
use std::sync::Arc;
use ventros_app::error::AppResult;
use ventros_app::ports::{Clock, EventConsumer, WebhookStore};
use ventros_app::usecases::webhook_delivery::{FAN_OUT, fan_out};
use ventros_domain::event::EventEnvelope;

/// Turns each published event into one delivery (and its job) per webhook subscription that
/// wants it, exactly once per event.
pub struct WebhookFanOut {
    store: Arc<dyn WebhookStore>,
    clock: Arc<dyn Clock>,
}

impl WebhookFanOut {
    pub fn new(store: Arc<dyn WebhookStore>, clock: Arc<dyn Clock>) -> Self {
        WebhookFanOut { store, clock }
    }
}

#[async_trait]
impl EventConsumer for WebhookFanOut {
    fn name(&self) -> &'static str {
        FAN_OUT
    }

    async fn handle(&self, event: &EventEnvelope) -> AppResult<()> {
        fan_out(self.store.as_ref(), self.clock.as_ref(), event).await?;
        Ok(())
    }
}
