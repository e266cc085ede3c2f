use chrono::Duration;
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::watch;
use ventros_app::error::AppResult;
use ventros_app::ports::{Clock, JobFinish, JobHandler, JobStore};
use ventros_domain::job::{Job, retry_delay};

#[derive(Debug, Clone, Copy)]
pub struct JobRunnerConfig {
    /// Jobs claimed per round.
    pub batch: u32,
    /// How long a claim is leased; a worker that dies frees its jobs after this.
    pub lease_seconds: i64,
    /// Poll interval when no job was due.
    pub idle_poll_ms: u64,
}

impl Default for JobRunnerConfig {
    fn default() -> Self {
        JobRunnerConfig {
            batch: 100,
            lease_seconds: 60,
            idle_poll_ms: 500,
        }
    }
}

/// Runs due jobs: claims (leased, one attempt each), dispatches by kind, and records the
/// outcome. A handler error retries with backoff until `max_attempts`, then the job is dead.
/// Unknown kinds go dead at once.
pub struct JobRunner {
    store: Arc<dyn JobStore>,
    clock: Arc<dyn Clock>,
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
    config: JobRunnerConfig,
}

impl JobRunner {
    pub fn new(store: Arc<dyn JobStore>, clock: Arc<dyn Clock>, config: JobRunnerConfig) -> Self {
        JobRunner {
            store,
            clock,
            handlers: HashMap::new(),
            config,
        }
    }

    pub fn handle(mut self, h: Arc<dyn JobHandler>) -> Self {
        self.handlers.insert(h.kind(), h);
        self
    }

    async fn run_job(&self, job: &Job) -> JobFinish {
        let Some(h) = self.handlers.get(job.kind.as_str()) else {
            return JobFinish::Dead {
                error: format!("no handler for job kind {:?}", job.kind),
            };
        };
        match h.handle(job).await {
            Ok(f) => f,
            Err(e) if job.attempts >= job.max_attempts => JobFinish::Dead {
                error: e.to_string(),
            },
            Err(e) => JobFinish::Retry {
                at: self.clock.now() + retry_delay(job.attempts),
                error: e.to_string(),
            },
        }
    }

    /// One round: claim due jobs, run them, record outcomes. Returns how many ran.
    pub async fn run_once(&self) -> AppResult<usize> {
        let now = self.clock.now();
        let jobs = self
            .store
            .claim_jobs(
                self.config.batch,
                now,
                now + Duration::seconds(self.config.lease_seconds),
            )
            .await?;
        for job in &jobs {
            let how = self.run_job(job).await;
            match &how {
                JobFinish::Retry { error, at } => {
                    tracing::warn!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, retry_at = %at, error = %error, "job failed; will retry");
                }
                JobFinish::Dead { error } => {
                    tracing::error!(job_id = %job.id, kind = %job.kind, attempts = job.attempts, error = %error, "job dead-lettered");
                }
                JobFinish::Done | JobFinish::RunAt(_) => {}
            }
            if !self.store.finish_job(job, &how, self.clock.now()).await? {
                tracing::debug!(job_id = %job.id, "job was re-armed while running; kept");
            }
        }
        Ok(jobs.len())
    }

    /// Rounds until nothing is due. Returns the total run.
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

    /// Runs until `shutdown` turns true; the round in flight finishes first.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let idle = std::time::Duration::from_millis(self.config.idle_poll_ms);
        loop {
            if *shutdown.borrow() {
                return;
            }
            let busy = match self.run_once().await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "job round failed");
                    false
                }
            };
            if busy {
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => {}
            }
        }
    }
}
