//! `POST /v1/auth/login`: email and password for an access token, throttled per account.

use crate::error::{AppError, AppResult};
use crate::ports::{AccessStore, Clock, Passwords};
use crate::secrets::hash_password;
use crate::throttle::LoginThrottle;
use crate::tokens::TokenService;
use serde::Serialize;
use std::sync::Arc;

/// Token issuing, password checks and login throttling, built once at start.
pub struct Auth {
    pub tokens: TokenService,
    pub throttle: LoginThrottle,
    pub passwords: Arc<dyn Passwords>,
    /// Verified against when the email is unknown, so both cases take the same time.
    dummy_hash: String,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth")
            .field("tokens", &self.tokens)
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Hashes the timing dummy on this thread: call it at start-up.
    pub fn new(
        tokens: TokenService,
        throttle: LoginThrottle,
        passwords: Arc<dyn Passwords>,
    ) -> AppResult<Self> {
        Ok(Auth {
            tokens,
            throttle,
            passwords,
            dummy_hash: hash_password("not a real password, only for timing")?,
        })
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct LoginToken {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
}

pub async fn login(
    store: &dyn AccessStore,
    clock: &dyn Clock,
    auth: &Auth,
    email: &str,
    password: &str,
) -> AppResult<LoginToken> {
    let now = clock.now();
    let account = email.trim().to_ascii_lowercase();
    auth.throttle.check(&account, now).await?;
    let user = if account.len() <= 254 && password.len() <= 1024 {
        store.find_login(&account).await?
    } else {
        None
    };
    let ok = match &user {
        Some(u) => {
            auth.passwords.verify(password, &u.password_hash).await? && u.disabled_at.is_none()
        }
        None => {
            auth.passwords.verify(password, &auth.dummy_hash).await?;
            false
        }
    };
    let Some(user) = user.filter(|_| ok) else {
        auth.throttle.failed(&account, now).await?;
        return Err(AppError::Unauthorized);
    };
    auth.throttle.succeeded(&account).await?;
    let project = store
        .default_project(user.tenant_id)
        .await?
        .ok_or_else(|| AppError::internal("tenant has no project"))?;
    Ok(LoginToken {
        access_token: auth
            .tokens
            .issue(user.id, user.tenant_id, project.id, now)?,
        token_type: "Bearer",
        expires_in: auth.tokens.ttl_secs(),
    })
}
