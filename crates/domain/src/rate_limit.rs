//! Rate limits as the generic cell rate algorithm (GCRA): a bucket is a single instant, its
//! *theoretical arrival time* (TAT). Each request moves the TAT one interval
//! (`60 s / per_minute`) past `max(TAT, now)`; the request is allowed while the TAT stays
//! within `burst` intervals of now. One number per key is all a store keeps, so the same rule
//! runs in memory, as one SQL upsert or as one Redis script, and every instance of Ventros
//! that shares the store shares the limit.

/// A bucket's shape: refilled at `per_minute`, holding up to `burst` requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    per_minute: u32,
    burst: u32,
}

impl Quota {
    /// Zeroes are raised to one.
    pub fn new(per_minute: u32, burst: u32) -> Quota {
        Quota {
            per_minute: per_minute.max(1),
            burst: burst.max(1),
        }
    }

    pub fn per_minute(&self) -> u32 {
        self.per_minute
    }

    /// Microseconds between two requests at the sustained rate.
    pub fn interval_us(&self) -> i64 {
        (60_000_000 / i64::from(self.per_minute)).max(1)
    }

    /// How far past now the TAT may run: `burst` intervals.
    pub fn tolerance_us(&self) -> i64 {
        self.interval_us().saturating_mul(i64::from(self.burst))
    }
}

/// What one request does to a bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Allowed; the bucket's new TAT.
    Allowed { tat_us: i64 },
    /// Refused; the request would be allowed after this many microseconds.
    Wait { wait_us: i64 },
}

/// One request against a bucket whose TAT is `tat_us` (`None`: a fresh bucket) at `now_us`.
pub fn take(tat_us: Option<i64>, now_us: i64, q: Quota) -> Take {
    let next = tat_us.unwrap_or(now_us).max(now_us) + q.interval_us();
    let ahead = next - now_us;
    if ahead <= q.tolerance_us() {
        Take::Allowed { tat_us: next }
    } else {
        Take::Wait {
            wait_us: ahead - q.tolerance_us(),
        }
    }
}

/// A wait in whole seconds for `Retry-After`: rounded up, at least one.
pub fn wait_secs(wait_us: i64) -> u64 {
    u64::try_from(wait_us.max(0))
        .unwrap_or(0)
        .div_ceil(1_000_000)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000;

    fn run(q: Quota, at: &[i64]) -> Vec<Take> {
        let mut tat = None;
        at.iter()
            .map(|now| {
                let t = take(tat, *now, q);
                if let Take::Allowed { tat_us } = t {
                    tat = Some(tat_us);
                }
                t
            })
            .collect()
    }

    #[test]
    fn a_burst_is_allowed_then_the_rate_holds() {
        // 60 a minute: one a second, three at once.
        let q = Quota::new(60, 3);
        let t = run(q, &[0, 0, 0, 0]);
        assert!(matches!(
            t[..3],
            [
                Take::Allowed { .. },
                Take::Allowed { .. },
                Take::Allowed { .. }
            ]
        ));
        assert_eq!(t[3], Take::Wait { wait_us: S });
        // A second later one more fits, and only one.
        let t = run(q, &[0, 0, 0, S, S]);
        assert!(matches!(t[3], Take::Allowed { .. }));
        assert_eq!(t[4], Take::Wait { wait_us: S });
    }

    #[test]
    fn an_idle_bucket_refills_to_its_burst_and_no_further() {
        let q = Quota::new(60, 2);
        let t = run(q, &[0, 0, 100 * S, 100 * S, 100 * S]);
        assert!(matches!(t[2], Take::Allowed { .. }));
        assert!(matches!(t[3], Take::Allowed { .. }));
        assert!(matches!(t[4], Take::Wait { .. }));
    }

    #[test]
    fn zeroes_mean_one_and_waits_round_up() {
        let q = Quota::new(0, 0);
        assert_eq!(q.interval_us(), 60 * S);
        assert_eq!(run(q, &[0, 0])[1], Take::Wait { wait_us: 60 * S });
        assert_eq!(wait_secs(1), 1);
        assert_eq!(wait_secs(S), 1);
        assert_eq!(wait_secs(S + 1), 2);
        assert_eq!(wait_secs(0), 1);
    }
}
