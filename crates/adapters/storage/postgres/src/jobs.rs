//! Durable jobs on PostgreSQL: claims go through `ventros_claim_jobs` (every tenant,
//! `FOR UPDATE SKIP LOCKED`); everything else runs in a tenant-bound transaction.

use crate::rows::{self, JOB_COLS};
use crate::store::{insert_events, paginate};
use crate::{PgStore, begin_tenant, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row};
use ventros_app::error::AppResult;
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::{JobBacklog, JobFinish, JobStore};
use ventros_domain::event::EventEnvelope;

/// Done jobs deleted per statement when pruning.
const PRUNE_BATCH: i32 = 5_000;
use ventros_domain::ids::{JobId, SessionId, TenantId};
use ventros_domain::job::{Job, JobStatus};
use ventros_domain::tenancy::Scope;

/// Inserts the job or moves the live one with the same key (pending again, attempts reset).
pub(crate) async fn arm_job_row<'c, E: sqlx::PgExecutor<'c>>(ex: E, j: &Job) -> AppResult<()> {
    sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO jobs ({JOB_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, 'pending', NULL, $9, $10)
         ON CONFLICT (tenant_id, key) DO UPDATE SET payload = excluded.payload, run_at = excluded.run_at,
           attempts = 0, status = 'pending', last_error = NULL, locked_until = NULL, updated_at = excluded.updated_at"
    )))
    .bind(j.id.0)
    .bind(j.tenant_id.0)
    .bind(j.project_id.0)
    .bind(&j.kind)
    .bind(&j.key)
    .bind(&j.payload)
    .bind(j.run_at)
    .bind(j.max_attempts)
    .bind(j.created_at)
    .bind(j.updated_at)
    .execute(ex)
    .await
    .map_err(db_err)?;
    Ok(())
}

#[async_trait]
impl JobStore for PgStore {
    async fn arm_job(&self, job: &Job) -> AppResult<()> {
        let mut tx = begin_tenant(&self.pool, job.tenant_id).await?;
        arm_job_row(&mut *tx, job).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn claim_jobs(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<Job>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {JOB_COLS} FROM ventros_claim_jobs($1, $2, $3)"
        )))
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .bind(now)
        .bind(lease_until)
        .fetch_all(&self.pool)
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
        let q = sqlx::query("UPDATE jobs SET status = $1, run_at = $2, attempts = $3, last_error = $4, locked_until = NULL, updated_at = $5 WHERE tenant_id = $6 AND id = $7 AND run_at = $8 AND attempts = $9 AND status = 'pending'")
            .bind(status)
            .bind(run_at)
            .bind(attempts)
            .bind(error)
            .bind(now)
            .bind(job.tenant_id.0)
            .bind(job.id.0)
            .bind(job.run_at)
            .bind(job.attempts);
        Ok(self.write_with_events(job.tenant_id, q, &[], now).await? == 1)
    }

    async fn list_jobs(
        &self,
        tenant: TenantId,
        status: Option<JobStatus>,
        page: PageRequest,
    ) -> AppResult<Page<Job>> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {JOB_COLS} FROM jobs WHERE tenant_id = "
        ));
        q.push_bind(tenant.0);
        if let Some(s) = status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        paginate(&mut q, "created_at", &page);
        let v = self.fetch_scoped(tenant, q, rows::job).await?;
        Ok(Page::from_rows(v, page.limit, |j| Cursor {
            ts_us: j.created_at.timestamp_micros(),
            id: j.id.0,
        }))
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> AppResult<Option<Job>> {
        let mut q = QueryBuilder::<Postgres>::new(format!(
            "SELECT {JOB_COLS} FROM jobs WHERE tenant_id = "
        ));
        q.push_bind(tenant.0).push(" AND id = ").push_bind(id.0);
        self.fetch_one_scoped(tenant, q, rows::job).await
    }

    async fn prune_done_jobs(&self, before: DateTime<Utc>) -> AppResult<u64> {
        let mut total = 0;
        loop {
            let n: i64 = sqlx::query_scalar("SELECT ventros_prune_done_jobs($1, $2)")
                .bind(before)
                .bind(PRUNE_BATCH)
                .fetch_one(&self.pool)
                .await
                .map_err(db_err)?;
            total += u64::try_from(n).unwrap_or(0);
            if n < i64::from(PRUNE_BATCH) {
                return Ok(total);
            }
        }
    }

    async fn job_backlog(&self, now: DateTime<Utc>) -> AppResult<JobBacklog> {
        let r = sqlx::query("SELECT due, oldest, dead FROM ventros_job_backlog($1)")
            .bind(now)
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(JobBacklog {
            due: r.try_get("due").map_err(db_err)?,
            oldest_due: r.try_get("oldest").map_err(db_err)?,
            dead: r.try_get("dead").map_err(db_err)?,
        })
    }

    async fn retry_job(&self, tenant: TenantId, id: JobId, now: DateTime<Utc>) -> AppResult<bool> {
        let q = sqlx::query("UPDATE jobs SET status = 'pending', run_at = $1, attempts = 0, locked_until = NULL, updated_at = $2 WHERE tenant_id = $3 AND id = $4 AND status = 'dead'")
            .bind(now)
            .bind(now)
            .bind(tenant.0)
            .bind(id.0);
        Ok(self.write_with_events(tenant, q, &[], now).await? == 1)
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
        let q = sqlx::query("UPDATE sessions SET status = 'ended', ended_at = $1, end_reason = $2 WHERE tenant_id = $3 AND project_id = $4 AND id = $5 AND status = 'active' AND last_message_at IS NOT DISTINCT FROM $6")
            .bind(ended_at)
            .bind(reason)
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .bind(last_message_at);
        let mut tx = begin_tenant(&self.pool, scope.tenant_id).await?;
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
