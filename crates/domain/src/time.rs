//! Time arithmetic that cannot panic. Times and durations that came from outside (a gateway's
//! timestamps, settings) are validated where they enter, but a sum past the last
//! representable instant saturates there instead of aborting the request or the job.

use chrono::{DateTime, Duration, Utc};

/// `t + d`, or the last representable instant when that overflows.
pub fn plus(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    t.checked_add_signed(d).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// `t + ms` milliseconds (negative moves back, saturating at the first instant).
pub fn plus_ms(t: DateTime<Utc>, ms: i64) -> DateTime<Utc> {
    match Duration::try_milliseconds(ms) {
        Some(d) => t.checked_add_signed(d).unwrap_or(if ms < 0 {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        }),
        None => DateTime::<Utc>::MAX_UTC,
    }
}

/// `t + secs` seconds, saturating like `plus_ms`.
pub fn plus_secs(t: DateTime<Utc>, secs: i64) -> DateTime<Utc> {
    plus_ms(t, secs.saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_saturate_instead_of_panicking() {
        let t = DateTime::<Utc>::MAX_UTC - Duration::seconds(1);
        assert_eq!(plus_secs(t, i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(plus_ms(t, i64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(
            plus_ms(DateTime::<Utc>::MIN_UTC, -1),
            DateTime::<Utc>::MIN_UTC
        );
        assert_eq!(plus(t, Duration::days(2)), DateTime::<Utc>::MAX_UTC);
        let now = DateTime::<Utc>::UNIX_EPOCH;
        assert_eq!(plus_secs(now, 60).timestamp(), 60);
    }
}
