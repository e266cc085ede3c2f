//! API keys (`vtr_` + random, stored as SHA-256) and passwords (argon2id).

use crate::AppError;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub const API_KEY_PREFIX: &str = "vtr_";

/// A new API key: the key to show once, its display prefix and the hash to store.
pub fn new_api_key() -> (String, String, String) {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    let key = format!("{API_KEY_PREFIX}{}", hex::encode(bytes));
    let prefix = key.chars().take(12).collect();
    let hash = hash_api_key(&key);
    (key, prefix, hash)
}

/// `n` random bytes from the operating system.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut b);
    b
}

pub fn hash_api_key(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

/// The longest password accepted (argon2 reads all of it).
pub const MAX_PASSWORD_CHARS: usize = 1024;

pub fn hash_password(password: &str) -> Result<String, AppError> {
    let n = password.chars().count();
    if n < 8 {
        return Err(AppError::validation(
            "password",
            "must be at least 8 characters",
        ));
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(AppError::validation(
            "password",
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    let salt = SaltString::generate(&mut rand::rngs::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Hashing on the caller's thread: for the command line and tests, where nothing else waits
/// for that thread. The server uses a pool of its own (see the composition root).
#[derive(Debug, Default, Clone, Copy)]
pub struct InlinePasswords;

#[async_trait::async_trait]
impl crate::ports::Passwords for InlinePasswords {
    async fn hash(&self, password: &str) -> Result<String, AppError> {
        hash_password(password)
    }

    async fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        Ok(verify_password(password, phc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_keys_hash_and_passwords_verify() {
        let (key, prefix, hash) = new_api_key();
        assert!(key.starts_with("vtr_") && key.starts_with(&prefix));
        assert_eq!(hash, hash_api_key(&key));
        assert_ne!(hash, hash_api_key("vtr_other"));
        let phc = hash_password("correct horse").unwrap_or_default();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("wrong horse", &phc));
        assert!(hash_password("short").is_err());
    }
}
