use crate::error::AppResult;
use crate::page::{Page, PageRequest};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ventros_domain::ids::{JobId, TenantId};
use ventros_domain::job::{Job, JobStatus};

/// How a claimed run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JobFinish {
    Done,
    /// Not due yet after all (fire then check): run again at this time, no failure counted.
    RunAt(DateTime<Utc>),
    /// Failed; try again at this time.
    Retry {
        at: DateTime<Utc>,
        error: String,
    },
    /// Failed for good; kept as `dead`.
    Dead {
        error: String,
    },
}

/// Across tenants, for `/metrics`: is the runner keeping up, and is anything dead?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JobBacklog {
    /// Pending jobs whose due time has passed (leased ones included).
    pub due: i64,
    /// The earliest due time among them.
    pub oldest_due: Option<DateTime<Utc>>,
    pub dead: i64,
}

/// Which kinds of job a claim takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobKinds {
    All,
    Only(Vec<String>),
    Except(Vec<String>),
}

/// Durable jobs and the writes their handlers make.
#[async_trait]
pub trait JobStore: Send + Sync {
    /// Arms `job`: inserts it, or moves the tenant's live job with the same key to the new
    /// due time and payload (pending again, attempts reset).
    async fn arm_job(&self, job: &Job) -> AppResult<()>;
    /// Leases up to `limit` due pending jobs of `kinds`, of any tenant, until `lease_until`,
    /// counting an attempt each. Jobs leased by another worker are skipped. Oldest due first.
    async fn claim_jobs_of(
        &self,
        kinds: &JobKinds,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<Job>>;
    /// [`claim_jobs_of`](Self::claim_jobs_of) every kind.
    async fn claim_jobs(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<Job>> {
        self.claim_jobs_of(&JobKinds::All, limit, now, lease_until)
            .await
    }
    /// Moves the lease of claimed jobs still running to `lease_until`, so that a run longer
    /// than its lease is not claimed again by another worker. Only the leases of these claims
    /// (same `attempts`, not finished, re-armed or claimed again meanwhile); how many.
    async fn renew_job_leases(&self, jobs: &[Job], lease_until: DateTime<Utc>) -> AppResult<u64>;
    /// Records how a claimed run ended. A no-op (`false`) when the job was re-armed or
    /// claimed again meanwhile (its `run_at` or `attempts` changed).
    async fn finish_job(&self, job: &Job, how: &JobFinish, now: DateTime<Utc>) -> AppResult<bool>;
    async fn list_jobs(
        &self,
        tenant: TenantId,
        status: Option<JobStatus>,
        page: PageRequest,
    ) -> AppResult<Page<Job>>;
    async fn get_job(&self, tenant: TenantId, id: JobId) -> AppResult<Option<Job>>;
    /// Deletes, across tenants, jobs that finished (`done`) before `before`, in batches; dead
    /// and pending jobs stay. Returns how many were deleted.
    async fn prune_done_jobs(&self, before: DateTime<Utc>) -> AppResult<u64>;
    /// Overdue and dead jobs of every tenant at `now`.
    async fn job_backlog(&self, now: DateTime<Utc>) -> AppResult<JobBacklog>;
    /// Makes a dead job pending again, due now, with its attempts reset.
    async fn retry_job(&self, tenant: TenantId, id: JobId, now: DateTime<Utc>) -> AppResult<bool>;
}

/// Jobs that share a limit in one process: at most `cap` of the group run at once (a webhook
/// endpoint and its cap), and jobs of one `chain` (an aggregate's events) run one after the
/// other, in the order they were claimed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobGroup {
    pub key: String,
    pub cap: usize,
    pub chain: Option<String>,
}

/// Runs one kind of job. Errors are retried with backoff, then dead-lettered.
#[async_trait]
pub trait JobHandler: Send + Sync {
    fn kind(&self) -> &'static str;
    /// Whether jobs of this kind may run side by side in one process (each bounds its own
    /// concurrency where it must, as webhook deliveries do per endpoint). Off by default:
    /// such jobs run one at a time, in the order they were claimed.
    fn concurrent(&self) -> bool {
        false
    }
    /// For a concurrent kind: the group `job` belongs to (`None`: none).
    fn group(&self, _job: &Job) -> Option<JobGroup> {
        None
    }
    async fn handle(&self, job: &Job) -> AppResult<JobFinish>;
}
