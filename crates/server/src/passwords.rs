//! Password hashing off the request threads: each hash or check runs on Tokio's blocking
//! pool, at most `permits` at once (half the cores, at least one), so a login spray queues
//! for its own permits and never takes the threads that serve webhooks and the API.

use std::sync::Arc;
use tokio::sync::Semaphore;
use ventros_app::AppError;
use ventros_app::ports::Passwords;
use ventros_app::secrets::{hash_password, verify_password};

pub struct PooledPasswords {
    permits: Arc<Semaphore>,
}

impl PooledPasswords {
    pub fn new(permits: usize) -> Self {
        PooledPasswords {
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    /// Half the machine's cores, at least one.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        Self::new(cores / 2)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::internal_from("password pool closed", e))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| AppError::internal_from("password hashing task failed", e))
    }
}

#[async_trait::async_trait]
impl Passwords for PooledPasswords {
    async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = password.to_string();
        self.run(move || hash_password(&password)).await?
    }

    async fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        let (password, phc) = (password.to_string(), phc.to_string());
        self.run(move || verify_password(&password, &phc)).await
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn hashes_and_checks_on_the_blocking_pool() {
        let p = PooledPasswords::new(1);
        let phc = p.hash("correct horse battery").await.unwrap();
        assert!(p.verify("correct horse battery", &phc).await.unwrap());
        assert!(!p.verify("wrong horse battery", &phc).await.unwrap());
        assert!(p.hash("short").await.is_err());
        // A current-thread runtime still answers while a hash runs: the work is elsewhere.
        let (a, b) = tokio::join!(p.hash("another long password"), async { 42 });
        assert!(a.is_ok() && b == 42);
    }
}
