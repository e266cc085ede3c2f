//! Access tokens: HS256 JWTs with `iss`, `aud`, `exp`, `iat` and `sub`; the algorithm is pinned.

use crate::error::{AppError, AppResult};
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use ventros_domain::ids::{ProjectId, TenantId, UserId};

pub const ISSUER: &str = "ventros";
pub const AUDIENCE: &str = "ventros-api";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub tid: Uuid,
    pub pid: Uuid,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

pub struct TokenService {
    encoding: EncodingKey,
    decoding: DecodingKey,
    ttl_secs: i64,
}

impl std::fmt::Debug for TokenService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenService")
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl TokenService {
    /// `secret` must have at least 32 bytes.
    pub fn new(secret: &[u8], ttl_secs: i64) -> AppResult<Self> {
        if secret.len() < 32 {
            return Err(AppError::validation(
                "jwt_secret",
                "must be at least 32 bytes",
            ));
        }
        Ok(TokenService {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            ttl_secs: ttl_secs.max(60),
        })
    }

    pub fn ttl_secs(&self) -> i64 {
        self.ttl_secs
    }

    pub fn issue(
        &self,
        user: UserId,
        tenant: TenantId,
        project: ProjectId,
        now: DateTime<Utc>,
    ) -> AppResult<String> {
        let claims = Claims {
            sub: user.0,
            tid: tenant.0,
            pid: project.0,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now.timestamp(),
            exp: now.timestamp() + self.ttl_secs,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal_from("token signing failed", e))
    }

    /// Checks signature, algorithm, issuer, audience and expiry (against `now`, so tests
    /// can move the clock). Any failure is the same `Unauthorized`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> AppResult<Claims> {
        let mut v = Validation::new(Algorithm::HS256);
        v.set_issuer(&[ISSUER]);
        v.set_audience(&[AUDIENCE]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &v)
            .map_err(|_| AppError::Unauthorized)?;
        if data.claims.exp <= now.timestamp() {
            return Err(AppError::Unauthorized);
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;
    use base64::Engine as _;

    fn svc() -> TokenService {
        TokenService::new(&[7u8; 32], 3600).unwrap()
    }

    #[test]
    fn issues_and_verifies_and_expires() {
        let s = svc();
        let now = Utc::now();
        let (u, t, p) = (UserId::new(), TenantId::new(), ProjectId::new());
        let tok = s.issue(u, t, p, now).unwrap();
        let c = s.verify(&tok, now).unwrap();
        assert_eq!((c.sub, c.tid, c.pid), (u.0, t.0, p.0));
        assert!(
            s.verify(&tok, now + chrono::Duration::seconds(3601))
                .is_err()
        );
        let other = TokenService::new(&[8u8; 32], 3600).unwrap();
        assert!(other.verify(&tok, now).is_err());
        assert!(TokenService::new(b"short", 60).is_err());
    }

    #[test]
    fn rejects_alg_none_and_wrong_audience() {
        let s = svc();
        let now = Utc::now();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let claims = serde_json::json!({"sub": Uuid::now_v7(), "tid": Uuid::now_v7(), "pid": Uuid::now_v7(), "iss": ISSUER, "aud": AUDIENCE, "iat": now.timestamp(), "exp": now.timestamp() + 100});
        let none = format!(
            "{}.{}.",
            b64.encode(br#"{"alg":"none","typ":"JWT"}"#),
            b64.encode(claims.to_string())
        );
        assert!(s.verify(&none, now).is_err());
        let mut wrong = claims.clone();
        wrong["aud"] = serde_json::json!("someone-else");
        let tok = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &wrong,
            &EncodingKey::from_secret(&[7u8; 32]),
        )
        .unwrap();
        assert!(s.verify(&tok, now).is_err());
    }
}
