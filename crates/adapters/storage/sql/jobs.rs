//! Durable jobs: one live row per (tenant, key), leased claims across tenants, and a finish
//! fenced on `(run_at, attempts)` so a job re-armed while it ran is never lost.

use crate::dialect::{DbConn, DbStore, cross_tenant};
use crate::sql::rows::{self, JOB_COLS};
use crate::sql::{Ts, db_err, page_by, paginate, select};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::{JobBacklog, JobFinish, JobKinds, JobStore};
use ventros_domain::ids::{JobId, TenantId};
use ventros_domain::job::{Job, JobStatus};

/// Done jobs deleted per statement when pruning, so SQLite's one writer is never held long.
const PRUNE_BATCH: i32 = 5_000;

/// Inserts the job or moves the live one with the same key (pending again, attempts reset).
pub(crate) async fn arm_job_row(conn: &mut DbConn, j: &Job) -> AppResult<()> {
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
    .bind(Json(&j.payload))
    .bind(Ts(j.run_at))
    .bind(j.max_attempts)
    .bind(Ts(j.created_at))
    .bind(Ts(j.updated_at))
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

/// `(mode, kinds as a JSON array)`, as the claim query takes them.
fn kind_params(kinds: &JobKinds) -> (&'static str, String) {
    let (mode, kinds): (_, &[String]) = match kinds {
        JobKinds::All => ("all", &[]),
        JobKinds::Only(k) => ("only", k),
        JobKinds::Except(k) => ("except", k),
    };
    (mode, serde_json::Value::from(kinds.to_vec()).to_string())
}

#[async_trait]
impl JobStore for DbStore {
    async fn arm_job(&self, job: &Job) -> AppResult<()> {
        let mut tx = self.write(job.tenant_id).await?;
        arm_job_row(tx.conn(), job).await?;
        tx.commit().await
    }

    async fn claim_jobs_of(
        &self,
        kinds: &JobKinds,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<Job>> {
        let (mode, kinds) = kind_params(kinds);
        let mut jobs = self
            .claim(
                cross_tenant::claim_jobs(JOB_COLS),
                limit,
                now,
                lease_until,
                &[mode, &kinds],
                rows::job,
            )
            .await?;
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
            .bind(Ts(run_at))
            .bind(attempts)
            .bind(error)
            .bind(Ts(now))
            .bind(job.tenant_id.0)
            .bind(job.id.0)
            .bind(Ts(job.run_at))
            .bind(job.attempts);
        Ok(self.write_with_events(job.tenant_id, q, &[], now).await? == 1)
    }

    async fn list_jobs(
        &self,
        tenant: TenantId,
        status: Option<JobStatus>,
        page: PageRequest,
    ) -> AppResult<Page<Job>> {
        let mut q = select(JOB_COLS, "jobs", tenant);
        if let Some(s) = status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(tenant, q.build(), rows::job).await?;
        Ok(page_by(v, page.limit, |j| (j.created_at, j.id.0)))
    }

    async fn get_job(&self, tenant: TenantId, id: JobId) -> AppResult<Option<Job>> {
        let mut q = select(JOB_COLS, "jobs", tenant);
        q.push(" AND id = ").push_bind(id.0);
        self.one(tenant, q.build(), rows::job).await
    }

    async fn prune_done_jobs(&self, before: DateTime<Utc>) -> AppResult<u64> {
        let mut total = 0;
        loop {
            let n = self.prune_done_jobs_batch(before, PRUNE_BATCH).await?;
            total += n;
            if n < PRUNE_BATCH.unsigned_abs().into() {
                return Ok(total);
            }
        }
    }

    async fn job_backlog(&self, now: DateTime<Utc>) -> AppResult<JobBacklog> {
        let r = sqlx::query(AssertSqlSafe(format!(
            "SELECT due, oldest, dead FROM {} AS b",
            cross_tenant::JOB_BACKLOG
        )))
        .bind(Ts(now))
        .fetch_one(self.any_tenant_reads())
        .await
        .map_err(db_err)?;
        Ok(JobBacklog {
            due: r.try_get("due").map_err(db_err)?,
            oldest_due: rows::opt_at(&r, "oldest").map_err(db_err)?,
            dead: r.try_get("dead").map_err(db_err)?,
        })
    }

    async fn renew_job_leases(&self, jobs: &[Job], lease_until: DateTime<Utc>) -> AppResult<u64> {
        let mut tenants: Vec<TenantId> = jobs.iter().map(|j| j.tenant_id).collect();
        tenants.sort();
        tenants.dedup();
        let mut renewed = 0;
        // One transaction per tenant (row-level security); a job that finished, was re-armed
        // or was claimed again meanwhile has no lease of this claim to renew.
        for tenant in tenants {
            let mut tx = self.write(tenant).await?;
            for j in jobs.iter().filter(|j| j.tenant_id == tenant) {
                renewed += sqlx::query("UPDATE jobs SET locked_until = $1 WHERE tenant_id = $2 AND id = $3 AND attempts = $4 AND status = 'pending' AND locked_until IS NOT NULL")
                    .bind(Ts(lease_until))
                    .bind(tenant.0)
                    .bind(j.id.0)
                    .bind(j.attempts)
                    .execute(tx.conn())
                    .await
                    .map_err(db_err)?
                    .rows_affected();
            }
            tx.commit().await?;
        }
        Ok(renewed)
    }

    async fn retry_job(&self, tenant: TenantId, id: JobId, now: DateTime<Utc>) -> AppResult<bool> {
        let q = sqlx::query("UPDATE jobs SET status = 'pending', run_at = $1, attempts = 0, locked_until = NULL, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND status = 'dead'")
            .bind(Ts(now))
            .bind(tenant.0)
            .bind(id.0);
        Ok(self.write_with_events(tenant, q, &[], now).await? == 1)
    }
}
