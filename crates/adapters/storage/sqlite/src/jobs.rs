//! Durable jobs on SQLite: one writer, so a claim is a single UPDATE … RETURNING.

use crate::rows::{self, JOB_COLS, ms, ts};
use crate::store::{insert_events, paginate};
use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder, Row, Sqlite};
use ventros_app::error::AppResult;
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::{JobBacklog, JobFinish, JobStore};
use ventros_domain::event::EventEnvelope;

/// Done jobs deleted per statement when pruning.
const PRUNE_BATCH: i64 = 5_000;
use ventros_domain::ids::{JobId, SessionId, TenantId};
use ventros_domain::job::{Job, JobStatus};
use ventros_domain::tenancy::Scope;

/// Inserts the job or moves the live one with the same key (pending again, attempts reset).
pub(crate) async fn arm_job_row<'c, E: sqlx::SqliteExecutor<'c>>(ex: E, j: &Job) -> AppResult<()> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO jobs ({JOB_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, 'pending', NULL, ?, ?)
         ON CONFLICT (tenant_id, key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at,
           attempts = 0, status = 'pending', last_error = NULL, locked_until = NULL, updated_at = excluded.updated_at"
    )))
    .bind(j.id.0)
    .bind(j.tenant_id.0)
    .bind(j.project_id.0)
    .bind(&j.kind)
    .bind(&j.key)
    .bind(j.payload.to_string())
    .bind(ms(j.run_at))
    .bind(j.max_attempts)
    .bind(ms(j.created_at))
    .bind(ms(j.updated_at))
    .execute(ex)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn arm_job(&self, job: &Job) -> AppResult<()> {
        arm_job_row(&self.write, job).await
    }

    async fn claim_jobs(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<Job>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "UPDATE jobs SET locked_until = ?, attempts = attempts + 1, updated_at = ? WHERE id IN (
                SELECT id FROM jobs WHERE status = 'pending' AND run_at <= ?
                  AND (locked_until IS NULL OR locked_until <= ?)
                ORDER BY run_at LIMIT ?) RETURNING {JOB_COLS}"
        )))
        .bind(ms(lease_until))
        .bind(ms(now))
        .bind(ms(now))
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        let mut jobs = rows
            .iter()
            .map(rows::job)
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)?;
        jobs.sort_by_key(|j| j.run_at);
        Ok(jobs)
    }

    async fn finish_job(&self, job: &Job, how: &JobFinish, now: DateTime<Utc>) -> AppResult<bool> {
        let (status, run_at, attempts, error) = match how {
            JobFinish::Done => ("done", job.run_at, job.attempts, None),
            JobFinish::RunAt(at) => ("pending", *at, 0, None),
            JobFinish::Retry { at, error } => ("pending", *at, job.attempts, Some(error.as_str())),
            JobFinish::Dead { error } => ("dead", job.run_at, job.attempts, Some(error.as_str())),
        };
        let n = sqlx::query("UPDATE jobs SET status = ?, run_at = ?, attempts = ?, last_error = ?, locked_until = NULL, updated_at = ? WHERE tenant_id = ? AND id = ? AND run_at = ? AND attempts = ? AND status = 'pending'")
            .bind(status)
            .bind(ms(run_at))
            .bind(attempts)
            .bind(error)
            .bind(ms(now))
            .bind(job.tenant_id.0)
            .bind(job.id.0)
            .bind(ms(job.run_at))
            .bind(job.attempts)
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn list_jobs(
        &self,
        tenant: TenantId,
        status: Option<JobStatus>,
        page: PageRequest,
    ) -> AppResult<Page<Job>> {
        let mut q =
            QueryBuilder::<Sqlite>::new(format!("SELECT {JOB_COLS} FROM jobs WHERE tenant_id = "));
        q.push_bind(tenant.0);
        if let Some(s) = status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::job).await?;
        Ok(Page::from_rows(v, page.limit, |j| Cursor {
            ts_us: j.created_at.timestamp_micros(),
            id: j.id.0,
        }))
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> AppResult<Option<Job>> {
        let mut q =
            QueryBuilder::<Sqlite>::new(format!("SELECT {JOB_COLS} FROM jobs WHERE tenant_id = "));
        q.push_bind(tenant.0).push(" AND id = ").push_bind(id.0);
        self.one(q, rows::job).await
    }

    async fn prune_done_jobs(&self, before: DateTime<Utc>) -> AppResult<u64> {
        // Small batches: the one writer is never held for long.
        let mut total = 0;
        loop {
            let n = sqlx::query("DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE status = 'done' AND updated_at < ? LIMIT ?)")
                .bind(ms(before))
                .bind(PRUNE_BATCH)
                .execute(&self.write)
                .await
                .map_err(db_err)?
                .rows_affected();
            total += n;
            if n < PRUNE_BATCH as u64 {
                return Ok(total);
            }
        }
    }

    async fn job_backlog(&self, now: DateTime<Utc>) -> AppResult<JobBacklog> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM jobs WHERE status = 'pending' AND run_at <= ?1) AS due,
                    (SELECT MIN(run_at) FROM jobs WHERE status = 'pending' AND run_at <= ?1) AS oldest,
                    (SELECT COUNT(*) FROM jobs WHERE status = 'dead') AS dead",
        )
        .bind(ms(now))
        .fetch_one(&self.read)
        .await
        .map_err(db_err)?;
        Ok(JobBacklog {
            due: r.try_get("due").map_err(db_err)?,
            oldest_due: r
                .try_get::<Option<i64>, _>("oldest")
                .map_err(db_err)?
                .map(ts),
            dead: r.try_get("dead").map_err(db_err)?,
        })
    }

    async fn retry_job(&self, tenant: TenantId, id: JobId, now: DateTime<Utc>) -> AppResult<bool> {
        let n = sqlx::query("UPDATE jobs SET status = 'pending', run_at = ?, attempts = 0, locked_until = NULL, updated_at = ? WHERE tenant_id = ? AND id = ? AND status = 'dead'")
            .bind(ms(now))
            .bind(ms(now))
            .bind(tenant.0)
            .bind(id.0)
            .execute(&self.write)
            .await
            .map_err(db_err)?
            .rows_affected();
        Ok(n == 1)
    }

    async fn end_session(
        &self,
        scope: Scope,
        id: SessionId,
        last_message_at: Option<DateTime<Utc>>,
        ended_at: DateTime<Utc>,
        reason: &str,
        event: &EventEnvelope,
        then: &Job,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE sessions SET status = 'ended', ended_at = ?, end_reason = ? WHERE tenant_id = ? AND project_id = ? AND id = ? AND status = 'active' AND last_message_at IS ?")
            .bind(ms(ended_at))
            .bind(reason)
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .bind(last_message_at.map(ms));
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let n = q.execute(&mut *tx).await.map_err(db_err)?.rows_affected();
        if n == 1 {
            crate::sessions::close_interval(&mut tx, scope.tenant_id, id, ended_at).await?;
            arm_job_row(&mut *tx, then).await?;
            insert_events(&mut *tx, std::slice::from_ref(event), event.occurred_at).await?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(n == 1)
    }
}
