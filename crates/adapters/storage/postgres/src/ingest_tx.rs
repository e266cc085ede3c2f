//! The ingest unit of work on PostgreSQL: one tenant-bound transaction. PostgreSQL groups
//! concurrent commits itself, so nothing is batched here.

use crate::PgStore;
use crate::dialect::DbConn;
use crate::sql::{Tx, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;
use tokio::sync::Notify;
use ventros_app::error::AppResult;
use ventros_app::ports::{IngestStore, IngestTx};
use ventros_domain::tenancy::Scope;

pub(crate) struct PgIngestTx {
    tx: Tx,
    pub(crate) scope: Scope,
    appended: bool,
    signal: Arc<Notify>,
}

impl PgIngestTx {
    pub(crate) fn conn(&mut self) -> AppResult<&mut DbConn> {
        Ok(&mut self.tx)
    }

    pub(crate) fn events_appended(&mut self) {
        self.appended = true;
    }

    pub(crate) async fn finish(self: Box<Self>) -> AppResult<()> {
        self.tx.commit().await.map_err(db_err)?;
        if self.appended {
            self.signal.notify_one();
        }
        Ok(())
    }
}

#[async_trait]
impl IngestStore for PgStore {
    async fn begin_ingest(&self, scope: Scope) -> AppResult<Box<dyn IngestTx>> {
        Ok(Box::new(PgIngestTx {
            tx: self.begin(scope.tenant_id).await?,
            scope,
            appended: false,
            signal: self.outbox_signal.clone(),
        }))
    }

    async fn prune_unmatched(&self, before: DateTime<Utc>) -> AppResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT ventros_prune_unmatched($1)")
            .bind(crate::sql::Ts(before))
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
