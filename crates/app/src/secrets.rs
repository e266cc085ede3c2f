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

pub fn hash_password(password: &str) -> Result<String, AppError> {
    if password.chars().count() < 8 {
        return Err(AppError::validation(
            "password",
            "must be at least 8 characters",
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
