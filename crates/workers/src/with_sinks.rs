use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use ventros_app::error::AppResult;
use ventros_app::ports::EventPublisher;
use ventros_domain::event::EventEnvelope;

/// How long an at-most-once sink may take per event before it is given up.
const SINK_TIMEOUT: Duration = Duration::from_secs(2);

/// The relay's publisher with at-most-once sinks beside it: `publish` succeeds when the
/// primary transport took the event; a sink's failure is logged and forgotten.
pub struct WithSinks {
    pub primary: Arc<dyn EventPublisher>,
    pub sinks: Vec<Arc<dyn EventPublisher>>,
}

#[async_trait]
impl EventPublisher for WithSinks {
    fn transport(&self) -> &'static str {
        self.primary.transport()
    }

    async fn ready(&self) -> AppResult<()> {
        self.primary.ready().await
    }

    async fn publish(&self, e: &EventEnvelope) -> AppResult<()> {
        self.primary.publish(e).await?;
        for s in &self.sinks {
            match tokio::time::timeout(SINK_TIMEOUT, s.publish(e)).await {
                Ok(Ok(())) => {}
                Ok(Err(x)) => {
                    tracing::warn!(sink = s.transport(), event = %e.id, error = %x, "event not published to an at-most-once sink");
                }
                Err(_) => {
                    tracing::warn!(sink = s.transport(), event = %e.id, "an at-most-once sink timed out");
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "a test fails loudly")]
    use super::*;
    use std::sync::Mutex;
    use ventros_app::error::AppError;
    use ventros_domain::event::{EventContext, EventType};
    use ventros_domain::ids::{ProjectId, TenantId};

    struct Fake {
        fail: bool,
        got: Mutex<usize>,
    }

    #[async_trait]
    impl EventPublisher for Fake {
        async fn publish(&self, _e: &EventEnvelope) -> AppResult<()> {
            *self.got.lock().unwrap() += 1;
            match self.fail {
                true => Err(AppError::Unavailable("down".into())),
                false => Ok(()),
            }
        }
    }

    fn fake(fail: bool) -> Arc<Fake> {
        Arc::new(Fake {
            fail,
            got: Mutex::new(0),
        })
    }

    #[tokio::test]
    async fn a_failing_sink_never_holds_an_event_back_but_the_primary_does() {
        let e = EventEnvelope::new(
            &EventContext::default(),
            TenantId::new(),
            ProjectId::new(),
            EventType::MessageReceived,
            uuid::Uuid::now_v7(),
            chrono::Utc::now(),
            serde_json::json!({}),
        );
        let (primary, down, up) = (fake(false), fake(true), fake(false));
        let p = WithSinks {
            primary: primary.clone(),
            sinks: vec![down.clone(), up.clone()],
        };
        p.publish(&e).await.unwrap();
        assert_eq!(
            (
                *primary.got.lock().unwrap(),
                *down.got.lock().unwrap(),
                *up.got.lock().unwrap()
            ),
            (1, 1, 1)
        );
        let failing = WithSinks {
            primary: fake(true),
            sinks: vec![up.clone()],
        };
        assert!(failing.publish(&e).await.is_err(), "the primary decides");
        assert_eq!(
            *up.got.lock().unwrap(),
            1,
            "no sink before the primary took it"
        );
    }
}
