//! Group commit for ingest on SQLite's single writer.
//!
//! With `synchronous=FULL` every COMMIT waits for an fsync, which dominates a delivery. Deliveries
//! that arrive while the writer is busy therefore share one transaction: each runs inside its own
//! SAVEPOINT (released when it succeeds, rolled back when it is abandoned), and the first member
//! to finish after the others commits the whole batch once. Every member waits for that COMMIT
//! before answering, so nothing is acknowledged before it is durable; if the COMMIT fails, every
//! member of the batch gets the error and nothing of the batch remains.

use crate::SqliteStore;
use crate::dialect::DbConn;
use crate::sql::db_err;
use sqlx::{Executor, Sqlite, Transaction};
use std::sync::Arc;
use tokio::sync::{Mutex, Notify, OwnedMutexGuard, watch};
use ventros_app::AppError;
use ventros_app::error::AppResult;
use ventros_app::ports::{IngestStore, IngestTx};
use ventros_domain::tenancy::Scope;

/// Members a batch may hold before the next delivery commits it first.
const MAX_MEMBERS: usize = 64;

type Outcome = Option<Result<(), String>>;

pub(crate) struct Batch {
    tx: Option<Transaction<'static, Sqlite>>,
    /// Increases with every batch opened.
    id: u64,
    members: usize,
    /// The last holder dropped its delivery without committing: its savepoint is still open.
    abandoned: bool,
    /// A member appended events: the commit wakes the outbox relay.
    appended: bool,
    outcome: watch::Sender<Outcome>,
    signal: Arc<Notify>,
}

impl Batch {
    pub(crate) fn new(signal: Arc<Notify>) -> Self {
        Batch {
            tx: None,
            id: 0,
            members: 0,
            abandoned: false,
            appended: false,
            outcome: watch::channel(None).0,
            signal,
        }
    }

    /// Rolls back the savepoint of a delivery that was dropped without committing.
    async fn undo_abandoned(&mut self) -> Result<(), sqlx::Error> {
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
    async fn close(&mut self) {
        let undone = self.undo_abandoned().await;
        if let Some(tx) = self.tx.take() {
            let result = match undone {
                Ok(()) => tx.commit().await.map_err(|e| e.to_string()),
                Err(e) => {
                    let _ = tx.rollback().await;
                    Err(format!("could not undo an abandoned delivery: {e}"))
                }
            };
            match &result {
                Ok(()) if self.appended => self.signal.notify_one(),
                Ok(()) => {}
                Err(e) => {
                    tracing::error!(error = %e, members = self.members, "ingest batch commit failed")
                }
            }
            self.outcome.send_replace(Some(result));
            self.members = 0;
            self.abandoned = false;
            self.appended = false;
        }
    }
}

#[async_trait::async_trait]
impl IngestStore for SqliteStore {
    /// Joins the open batch (opening one if needed) inside a savepoint of its own.
    async fn begin_ingest(&self, scope: Scope) -> AppResult<Box<dyn IngestTx>> {
        let mut g = self.batch.clone().lock_owned().await;
        if g.members >= MAX_MEMBERS {
            g.close().await;
        }
        g.undo_abandoned().await.map_err(db_err)?;
        if g.tx.is_none() {
            g.tx = Some(self.write.begin().await.map_err(db_err)?);
            g.id += 1;
            g.outcome = watch::channel(None).0;
        }
        let (batch_id, outcome) = (g.id, g.outcome.subscribe());
        if let Some(tx) = g.tx.as_mut() {
            tx.execute("SAVEPOINT delivery").await.map_err(db_err)?;
        }
        g.members += 1;
        Ok(Box::new(SqliteIngestTx {
            guard: Some(g),
            batch: self.batch.clone(),
            batch_id,
            outcome,
            scope,
            appended: false,
        }))
    }

    async fn prune_unmatched(&self, before: chrono::DateTime<chrono::Utc>) -> AppResult<u64> {
        let mut n = 0;
        for table in ["pending_acks", "early_changes"] {
            n += sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE received_at < $1"
            )))
            .bind(crate::sql::Ts(before))
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        }
        Ok(n)
    }
}

/// One delivery inside the shared ingest batch: holds the writer until it commits (releases
/// its savepoint) or is dropped (its savepoint is rolled back).
pub(crate) struct SqliteIngestTx {
    guard: Option<OwnedMutexGuard<Batch>>,
    batch: Arc<Mutex<Batch>>,
    batch_id: u64,
    outcome: watch::Receiver<Outcome>,
    pub(crate) scope: Scope,
    /// This delivery appended events (they count once its savepoint is released).
    appended: bool,
}

impl SqliteIngestTx {
    pub(crate) fn conn(&mut self) -> AppResult<&mut DbConn> {
        self.guard
            .as_mut()
            .and_then(|g| g.tx.as_deref_mut())
            .ok_or_else(|| AppError::internal("ingest transaction already finished"))
    }

    pub(crate) fn events_appended(&mut self) {
        self.appended = true;
    }

    /// Releases this delivery's savepoint, then waits until the batch it joined is durable
    /// (committing it unless a later member already did).
    pub(crate) async fn finish(mut self: Box<Self>) -> AppResult<()> {
        let released = self.conn()?.execute("RELEASE SAVEPOINT delivery").await;
        released.map_err(db_err)?;
        // Kept in the batch now: its commit wakes the outbox relay.
        if let Some(g) = self.guard.as_mut() {
            g.appended |= self.appended;
        }
        // Our work is in the batch; release the writer to the deliveries queued behind us,
        // then commit the batch unless one of them already did.
        let mut outcome = self.outcome.clone();
        let (batch, id) = (self.batch.clone(), self.batch_id);
        drop(self.guard.take());
        let mut g = batch.lock_owned().await;
        if g.id == id {
            g.close().await;
        }
        drop(g);
        let result = outcome
            .wait_for(Option::is_some)
            .await
            .map_err(|_| AppError::Unavailable("the ingest batch ended without an outcome".into()))?
            .clone();
        match result {
            Some(Ok(())) => Ok(()),
            Some(Err(e)) => Err(AppError::Unavailable(format!("commit failed: {e}"))),
            None => Err(AppError::internal("ingest batch outcome missing")),
        }
    }
}

impl Drop for SqliteIngestTx {
    fn drop(&mut self) {
        let Some(mut g) = self.guard.take() else {
            return;
        };
        // Dropped without commit: the savepoint is undone before anyone else uses the batch,
        // and the batch is closed so the other members (and the writer) are not kept waiting.
        g.abandoned = true;
        drop(g);
        let (batch, id) = (self.batch.clone(), self.batch_id);
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let mut g = batch.lock_owned().await;
                if g.id == id {
                    g.close().await;
                }
            });
        }
    }
}
