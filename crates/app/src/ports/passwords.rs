use crate::error::AppResult;
use async_trait::async_trait;

/// Password hashing and checking: deliberately slow work (argon2id), which the server runs
/// away from the threads that serve requests, a few at a time.
#[async_trait]
pub trait Passwords: Send + Sync {
    /// The PHC string to store; refuses passwords shorter than 8 or longer than 1024
    /// characters.
    async fn hash(&self, password: &str) -> AppResult<String>;
    /// Whether `password` matches `phc` (false for a malformed hash).
    async fn verify(&self, password: &str, phc: &str) -> AppResult<bool>;
}
