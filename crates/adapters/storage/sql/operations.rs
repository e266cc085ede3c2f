//! What operators watch: the backend, its pools, a liveness probe and the outbox backlog.

use crate::dialect::{BACKEND, DbStore, cross_tenant};
use crate::sql::{db_err, rows};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Row};
use ventros_app::error::AppResult;
use ventros_app::ports::Store;

#[async_trait]
impl Store for DbStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn pool_state(&self) -> (u32, usize) {
        self.pool_counts()
    }

    async fn ping(&self) -> AppResult<()> {
        sqlx::query("SELECT 1")
            .execute(self.any_tenant_reads())
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn shutdown(&self) -> AppResult<()> {
        self.close_for_shutdown().await
    }

    async fn outbox_backlog(&self) -> AppResult<(i64, Option<DateTime<Utc>>)> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT n, oldest FROM {} AS b",
            cross_tenant::OUTBOX_BACKLOG
        )))
        .fetch_one(self.any_tenant_reads())
        .await
        .map_err(db_err)?;
        Ok((
            r.try_get("n").map_err(db_err)?,
            rows::opt_at(&r, "oldest").map_err(db_err)?,
        ))
    }
}
