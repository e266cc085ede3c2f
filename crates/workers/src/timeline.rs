use async_trait::async_trait;
use std::sync::Arc;
use ventros_app::error::AppResult;
use ventros_app::ports::{EventConsumer, TimelineStore};
use ventros_domain::event::EventEnvelope;
use ventros_domain::timeline::timeline_entry;

/// Writes the contact timeline (`ContactEvent` rows) from events, exactly once per event.
pub struct TimelineConsumer {
    store: Arc<dyn TimelineStore>,
}

impl TimelineConsumer {
    pub const NAME: &'static str = "contact_timeline";

    pub fn new(store: Arc<dyn TimelineStore>) -> Self {
        TimelineConsumer { store }
    }
}

#[async_trait]
impl EventConsumer for TimelineConsumer {
    fn name(&self) -> &'static str {
        Self::NAME
    }

    async fn handle(&self, event: &EventEnvelope) -> AppResult<()> {
        let entry = timeline_entry(event);
        self.store
            .apply_timeline(Self::NAME, event, entry.as_ref())
            .await?;
        Ok(())
    }
}
