use chrono::Duration;
use std::sync::Arc;
use tokio::sync::{Notify, watch};
use ventros_app::error::AppResult;
use ventros_app::ports::{Clock, EventPublisher, OutboxStore};

#[derive(Debug, Clone, Copy)]
pub struct RelayConfig {
    /// Rows claimed per round.
    pub batch: u32,
    /// How long a claim is leased before another relay may take it over.
    pub lease_seconds: i64,
    /// Poll interval when nothing wakes the relay.
    pub idle_poll_ms: u64,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            batch: 200,
            lease_seconds: 30,
            idle_poll_ms: 1000,
        }
    }
}

/// Moves committed outbox rows to the publisher. Rows are marked published only after the
/// publisher accepted them; a failure stops the round (keeping order) and the lease makes
/// the rest come back later. At-least-once, in outbox order.
pub struct OutboxRelay {
    store: Arc<dyn OutboxStore>,
    publisher: Arc<dyn EventPublisher>,
    clock: Arc<dyn Clock>,
    config: RelayConfig,
    wake: Arc<Notify>,
}

impl OutboxRelay {
    pub fn new(
        store: Arc<dyn OutboxStore>,
        publisher: Arc<dyn EventPublisher>,
        clock: Arc<dyn Clock>,
        config: RelayConfig,
    ) -> Self {
        OutboxRelay {
            store,
            publisher,
            clock,
            config,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Publishes as soon as `signal` is notified (the store notifies it after each commit
    /// that appended events) instead of waiting for the poll interval.
    pub fn woken_by(mut self, signal: Arc<Notify>) -> Self {
        self.wake = signal;
        self
    }

    /// One round: claim, publish, mark. Returns how many events were published.
    pub async fn run_once(&self) -> AppResult<usize> {
        let now = self.clock.now();
        let rows = self
            .store
            .claim_outbox(
                self.config.batch,
                now,
                now + Duration::seconds(self.config.lease_seconds),
            )
            .await?;
        let mut done = Vec::with_capacity(rows.len());
        let mut failure = None;
        for r in &rows {
            match self.publisher.publish(&r.envelope).await {
                Ok(()) => done.push(r.seq),
                Err(e) => {
                    tracing::warn!(event_id = %r.envelope.id, event_type = %r.envelope.event_type, attempts = r.attempts, error = %e, "publish failed; will retry after the lease");
                    failure = Some(e);
                    break;
                }
            }
        }
        self.store.mark_published(&done, self.clock.now()).await?;
        match failure {
            Some(e) if done.is_empty() => Err(e),
            _ => Ok(done.len()),
        }
    }

    /// Rounds until a round publishes nothing. Returns the total published.
    pub async fn run_until_idle(&self) -> AppResult<usize> {
        let mut total = 0;
        loop {
            let n = self.run_once().await?;
            if n == 0 {
                return Ok(total);
            }
            total += n;
        }
    }

    /// Runs until `shutdown` turns true; then finishes the round in flight.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let idle = std::time::Duration::from_millis(self.config.idle_poll_ms);
        loop {
            if *shutdown.borrow() {
                return;
            }
            let busy = match self.run_once().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox relay round failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
