//! Rate limits per API key or user (in memory, per process): a token bucket refilled at
//! `per_minute`, holding up to `burst` requests. Over the limit → 429 with `Retry-After`.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use ventros_app::AppError;
use ventros_app::actor::Actor;

pub struct RateLimiter {
    limiter: DefaultKeyedRateLimiter<String>,
    per_minute: u32,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("per_minute", &self.per_minute)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let rate = NonZeroU32::new(per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimiter {
            limiter: governor::RateLimiter::keyed(Quota::per_minute(rate).allow_burst(burst)),
            per_minute: per_minute.max(1),
        }
    }

    /// `Ok` or the whole seconds to wait.
    fn check(&self, key: &str) -> Result<(), u64> {
        if self.limiter.len() > 100_000 {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&key.to_string())
            .map_err(|not_until| {
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
            })
    }
}

/// Applies the caller's limit; requests without a resolved caller are not limited here
/// (they are refused by authentication).
pub async fn limit(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let Some(actor) = req.extensions().get::<Actor>() else {
        return next.run(req).await;
    };
    let limit_header = HeaderValue::from(s.limiter.per_minute);
    match s.limiter.check(&actor.id()) {
        Ok(()) => {
            let mut resp = next.run(req).await;
            resp.headers_mut().insert("x-ratelimit-limit", limit_header);
            resp
        }
        Err(secs) => {
            let mut resp = ApiError::from(AppError::RateLimited {
                retry_after_secs: secs.max(1),
            })
            .into_response();
            resp.headers_mut().insert("x-ratelimit-limit", limit_header);
            resp
        }
    }
}

/// Login attempts per client address and in all, on top of the per-account lock: every
/// attempt costs a password hash, so a spray from many accounts (or many addresses) is cut
/// off before it reaches the hashing pool. Each bucket holds a quarter of its minute.
#[derive(Debug)]
pub struct LoginLimits {
    per_address: RateLimiter,
    all: RateLimiter,
}

impl LoginLimits {
    pub fn new(per_address_per_minute: u32, per_minute: u32) -> Self {
        let quarter = |n: u32| n.div_ceil(4).max(1);
        LoginLimits {
            per_address: RateLimiter::new(per_address_per_minute, quarter(per_address_per_minute)),
            all: RateLimiter::new(per_minute, quarter(per_minute)),
        }
    }

    /// `Ok`, or 429 with the seconds to wait. A request without a known address (not over
    /// TCP) counts against the global limit only.
    pub fn check(&self, addr: Option<std::net::IpAddr>) -> Result<(), AppError> {
        let limited = |secs: u64| AppError::RateLimited {
            retry_after_secs: secs.max(1),
        };
        if let Some(a) = addr {
            self.per_address.check(&a.to_string()).map_err(limited)?;
        }
        self.all.check("all").map_err(limited)
    }
}
