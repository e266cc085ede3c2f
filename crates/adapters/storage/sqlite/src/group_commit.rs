//! Group commit for ingest on SQLite's single writer.
//!
//! With `synchronous=FULL` every COMMIT waits for an fsync, which dominates a delivery. Deliveries
//! that arrive while the writer is busy therefore share one transaction: each runs inside its own
//! SAVEPOINT (released when it succeeds, rolled back when it is abandoned), and the first member
//! to finish after the others commits the whole batch once. Every member waits for that COMMIT
//! before answering, so nothing is acknowledged before it is durable; if the COMMIT fails, every
//! member of the batch gets the error and nothing of the batch remains.

use sqlx::{Executor, Sqlite, Transaction};
use tokio::sync::watch;

/// Members a batch may hold before the next delivery commits it first.
pub(crate) const MAX_MEMBERS: usize = 64;

pub(crate) type Outcome = Option<Result<(), String>>;

pub(crate) struct Batch {
    pub tx: Option<Transaction<'static, Sqlite>>,
    /// Increases with every batch opened.
    pub id: u64,
    pub members: usize,
    /// The last holder dropped its delivery without committing: its savepoint is still open.
    pub abandoned: bool,
    pub outcome: watch::Sender<Outcome>,
}

impl Batch {
    pub fn new() -> Self {
        Batch {
            tx: None,
            id: 0,
            members: 0,
            abandoned: false,
            outcome: watch::channel(None).0,
        }
    }

    /// Rolls back the savepoint of a delivery that was dropped without committing.
    pub async fn undo_abandoned(&mut self) -> Result<(), sqlx::Error> {
        if self.abandoned {
            if let Some(tx) = self.tx.as_mut() {
                tx.execute("ROLLBACK TO SAVEPOINT delivery").await?;
                tx.execute("RELEASE SAVEPOINT delivery").await?;
            }
            self.abandoned = false;
        }
        Ok(())
    }

    /// Commits the open batch, if any, and tells its members how it went.
    pub async fn close(&mut self) {
        let undone = self.undo_abandoned().await;
        if let Some(tx) = self.tx.take() {
            let result = match undone {
                Ok(()) => tx.commit().await.map_err(|e| e.to_string()),
                Err(e) => {
                    let _ = tx.rollback().await;
                    Err(format!("could not undo an abandoned delivery: {e}"))
                }
            };
            if let Err(e) = &result {
                tracing::error!(error = %e, members = self.members, "ingest batch commit failed");
            }
            self.outcome.send_replace(Some(result));
            self.members = 0;
            self.abandoned = false;
        }
    }
}
