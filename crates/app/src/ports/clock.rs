use chrono::{DateTime, Duration, Utc};
use std::sync::Mutex;

/// Time, as a port: tests move it instead of sleeping.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    /// Whole milliseconds: what both stores keep exactly (SQLite stores Unix milliseconds), so
    /// a resource as returned on create is the resource as read back.
    fn now(&self) -> DateTime<Utc> {
        let now = Utc::now();
        DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
    }
}

/// A clock that only moves when told to.
#[derive(Debug)]
pub struct FixedClock(Mutex<DateTime<Utc>>);

impl FixedClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        FixedClock(Mutex::new(at))
    }

    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|p| *p.into_inner())
    }
}

/// The system's time moved forward by what a test tells it: the app runs on real time, and
/// a test jumps past a timer instead of waiting for it.
#[derive(Debug, Default)]
pub struct ShiftedClock(Mutex<Duration>);

impl ShiftedClock {
    pub fn advance(&self, by: Duration) {
        if let Ok(mut d) = self.0.lock() {
            *d += by;
        }
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        let shift = self
            .0
            .lock()
            .map(|d| *d)
            .unwrap_or_else(|p| *p.into_inner());
        SystemClock.now() + shift
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_has_millisecond_precision() {
        let t = SystemClock.now();
        assert_eq!(t.timestamp_subsec_nanos() % 1_000_000, 0);
        assert!((Utc::now() - t).num_seconds().abs() < 5);
    }
}
