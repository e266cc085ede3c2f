use chrono::{DateTime, Duration, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::{Notify, Semaphore, watch};
use ventros_app::error::AppResult;
use ventros_app::ports::{Clock, JobFinish, JobHandler, JobKinds, JobStore};
use ventros_domain::job::{Job, retry_delay};

#[derive(Debug, Clone, Copy)]
pub struct JobRunnerConfig {
    /// Jobs claimed per round.
    pub batch: u32,
    /// How long a claim is leased; a worker that dies frees its jobs after this.
    pub lease_seconds: i64,
    /// Poll interval when no job was due.
    pub idle_poll_ms: u64,
    /// Jobs of kinds that may run side by side ([`JobHandler::concurrent`]: webhook
    /// deliveries) run up to this many at a time; the other kinds one at a time, beside them.
    pub concurrency: usize,
    /// How often a round looks whether its leases need renewing (they are renewed once a
    /// third of the lease has gone by), so that a round longer than the lease keeps its jobs.
    pub renew_check_ms: u64,
}

impl Default for JobRunnerConfig {
    fn default() -> Self {
        JobRunnerConfig {
            batch: 100,
            lease_seconds: 60,
            idle_poll_ms: 500,
            concurrency: 16,
            renew_check_ms: 1_000,
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
    /// Lease renewals made so far (each covering a round's unfinished jobs).
    renewals: watch::Sender<u64>,
    /// Raised when jobs of the side-by-side kinds were armed (webhook deliveries): their
    /// rounds start then rather than at their next poll.
    wake: Option<Arc<Notify>>,
    /// Idle waits begun so far, by any of the loops of `run`.
    idles: watch::Sender<u64>,
}

impl JobRunner {
    pub fn new(store: Arc<dyn JobStore>, clock: Arc<dyn Clock>, config: JobRunnerConfig) -> Self {
        JobRunner {
            store,
            clock,
            handlers: HashMap::new(),
            config,
            renewals: watch::Sender::new(0),
            wake: None,
            idles: watch::Sender::new(0),
        }
    }

    /// Starts the side-by-side kinds' rounds as soon as `signal` is raised (the store raises
    /// it after a commit that armed webhook deliveries), not only at the idle poll.
    pub fn woken_by(mut self, signal: Arc<Notify>) -> Self {
        self.wake = Some(signal);
        self
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

    /// Runs a chain's jobs one after the other, each once `all` has a permit (the
    /// process-wide bound on concurrent jobs).
    async fn run_chain(&self, all: &Semaphore, chain: Vec<&Job>) -> AppResult<()> {
        for job in chain {
            let _permit = all
                .acquire()
                .await
                .map_err(|_| ventros_app::AppError::internal("job semaphore closed"))?;
            self.run_and_finish(job).await?;
        }
        Ok(())
    }

    async fn run_and_finish(&self, job: &Job) -> AppResult<()> {
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
        Ok(())
    }

    /// One round of every kind: claim due jobs, run them (the kinds that may, side by side),
    /// record outcomes. Returns how many ran.
    pub async fn run_once(&self) -> AppResult<usize> {
        self.round(&JobKinds::All).await
    }

    /// One round of the jobs of `kinds`.
    async fn round(&self, kinds: &JobKinds) -> AppResult<usize> {
        let now = self.clock.now();
        let jobs = self
            .store
            .claim_jobs_of(
                kinds,
                self.config.batch,
                now,
                now + Duration::seconds(self.config.lease_seconds),
            )
            .await?;
        let mut one_by_one = Vec::new();
        // Concurrent jobs by group, and in a group by chain; a job without a group or chain
        // is a chain of its own.
        let mut groups: HashMap<Option<String>, (usize, Vec<Vec<&Job>>)> = HashMap::new();
        let mut chains: HashMap<(Option<String>, String), usize> = HashMap::new();
        for job in &jobs {
            let h = match self.handlers.get(job.kind.as_str()) {
                Some(h) if h.concurrent() => h,
                _ => {
                    one_by_one.push(job);
                    continue;
                }
            };
            let g = h.group(job);
            let (key, cap, chain) = match g {
                Some(g) => (Some(g.key), g.cap, g.chain),
                None => (None, usize::MAX, None),
            };
            let lane = groups.entry(key.clone()).or_insert((cap, Vec::new()));
            match chain {
                Some(c) => {
                    let at = *chains.entry((key, c)).or_insert_with(|| {
                        lane.1.push(Vec::new());
                        lane.1.len() - 1
                    });
                    lane.1[at].push(job);
                }
                None => lane.1.push(vec![job]),
            }
        }
        let serial = async {
            for job in one_by_one {
                self.run_and_finish(job).await?;
            }
            AppResult::Ok(())
        };
        let all = Semaphore::new(self.config.concurrency.max(1));
        // Made before they are streamed: a closure inside the stream would make the spawned
        // runner's future depend on a higher-ranked lifetime the compiler cannot prove.
        let lanes: Vec<_> = groups
            .into_values()
            .map(|(cap, chains)| {
                let runs: Vec<_> = chains
                    .into_iter()
                    .map(|chain| self.run_chain(&all, chain))
                    .collect();
                stream::iter(runs)
                    .buffer_unordered(cap.max(1))
                    .try_collect::<Vec<()>>()
            })
            .collect();
        let parallel = futures_util::future::try_join_all(lanes);
        let round = async {
            let (a, b) = futures_util::join!(serial, parallel);
            a?;
            b.map(|_| ())
        };
        // The round ends first: renewing never does.
        tokio::select! {
            r = round => r?,
            () = self.renew_leases(&jobs, now) => {}
        }
        Ok(jobs.len())
    }

    /// Renews the leases of the round's `jobs` (claimed at `claimed`) each time a third of
    /// the lease has gone by, until the round is dropped. A claim is only as good as its
    /// lease: without this, jobs still waiting in a long round (a slow endpoint's deliveries
    /// queued behind its cap, a slow gateway call) would be claimed and run again by another
    /// worker while this one still holds them.
    async fn renew_leases(&self, jobs: &[Job], claimed: DateTime<Utc>) {
        let lease = Duration::seconds(self.config.lease_seconds);
        let mut due = claimed + lease / 3;
        let check = std::time::Duration::from_millis(self.config.renew_check_ms.max(1));
        loop {
            tokio::time::sleep(check).await;
            let now = self.clock.now();
            if now < due || jobs.is_empty() {
                continue;
            }
            match self.store.renew_job_leases(jobs, now + lease).await {
                Ok(n) => {
                    self.renewals.send_modify(|r| *r += 1);
                    tracing::debug!(renewed = n, "job leases renewed");
                }
                // The old lease still runs; the next check tries again.
                Err(e) => tracing::warn!(error = %e, "job leases not renewed"),
            }
            due = now + lease / 3;
        }
    }

    /// How many idle waits the loops of [`run`](Self::run) have begun, as it changes.
    pub fn idle_waits(&self) -> watch::Receiver<u64> {
        self.idles.subscribe()
    }

    /// How many times this runner has renewed its rounds' leases, as it changes.
    pub fn lease_renewals(&self) -> watch::Receiver<u64> {
        self.renewals.subscribe()
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

    /// Runs until `shutdown` turns true; the rounds in flight finish first. The kinds that
    /// run side by side (webhook deliveries) have rounds of their own, beside the rounds of
    /// every other kind: a slow endpoint's deliveries never hold back a send or a timer that
    /// falls due meanwhile, nor the other way round.
    pub async fn run(&self, shutdown: watch::Receiver<bool>) {
        let mut side_by_side: Vec<String> = self
            .handlers
            .values()
            .filter(|h| h.concurrent())
            .map(|h| h.kind().to_string())
            .collect();
        side_by_side.sort();
        let wake = self.wake.as_deref();
        if side_by_side.is_empty() {
            return self.rounds(JobKinds::All, wake, shutdown).await;
        }
        futures_util::join!(
            self.rounds(JobKinds::Only(side_by_side.clone()), wake, shutdown.clone()),
            self.rounds(JobKinds::Except(side_by_side), None, shutdown),
        );
    }

    /// Rounds of the jobs of `kinds` until `shutdown`, pausing while none is due until the
    /// idle poll or `wake`.
    async fn rounds(
        &self,
        kinds: JobKinds,
        wake: Option<&Notify>,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let idle = std::time::Duration::from_millis(self.config.idle_poll_ms);
        loop {
            if *shutdown.borrow() {
                return;
            }
            let busy = match self.round(&kinds).await {
                Ok(n) => n > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "job round failed");
                    false
                }
            };
            if busy {
                continue;
            }
            self.idles.send_modify(|n| *n += 1);
            tokio::select! {
                _ = tokio::time::sleep(idle) => {}
                _ = shutdown.changed() => {}
                () = async {
                    match wake {
                        Some(w) => w.notified().await,
                        None => std::future::pending().await,
                    }
                } => {}
            }
        }
    }
}
