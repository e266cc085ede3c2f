//! Rate-limit buckets and login failure windows: the same rules from every `ThrottleStore`
//! (memory, both databases, Redis), driven with explicit times.

use chrono::{DateTime, Duration, TimeZone, Utc};
use std::sync::Arc;
use ventros_app::ports::{Store, ThrottleStore};
use ventros_domain::rate_limit::Quota;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// What every store must do; `prefix` keeps runs on a shared server apart.
pub async fn throttle_rules(t: &dyn ThrottleStore, prefix: &str) {
    let key = |k: &str| format!("{prefix}{k}");
    // 60 a minute, 3 at once.
    let q = Quota::new(60, 3);
    let now = t0();
    for i in 0..3 {
        assert_eq!(
            t.take(&key("a"), q, now).await.unwrap(),
            None,
            "request {i}"
        );
    }
    assert_eq!(
        t.take(&key("a"), q, now).await.unwrap(),
        Some(1_000_000),
        "the fourth waits one interval"
    );
    assert_eq!(
        t.take(&key("b"), q, now).await.unwrap(),
        None,
        "buckets are per key"
    );
    let later = now + Duration::seconds(1);
    assert_eq!(t.take(&key("a"), q, later).await.unwrap(), None);
    assert!(t.take(&key("a"), q, later).await.unwrap().is_some());
    let idle = now + Duration::minutes(5);
    for _ in 0..3 {
        assert_eq!(t.take(&key("a"), q, idle).await.unwrap(), None, "refilled");
    }
    assert!(t.take(&key("a"), q, idle).await.unwrap().is_some());

    let window = Duration::minutes(15);
    let acct = key("acct");
    assert_eq!(t.login_failures(&acct, now).await.unwrap(), None);
    for _ in 0..3 {
        t.record_login_failure(&acct, window, now).await.unwrap();
    }
    let later = now + Duration::minutes(5);
    t.record_login_failure(&acct, window, later).await.unwrap();
    assert_eq!(
        t.login_failures(&acct, later).await.unwrap(),
        Some((4, now + window)),
        "the window starts at the first failure"
    );
    assert_eq!(t.login_failures(&acct, now + window).await.unwrap(), None);
    let after = now + window + Duration::seconds(1);
    t.record_login_failure(&acct, window, after).await.unwrap();
    assert_eq!(
        t.login_failures(&acct, after).await.unwrap(),
        Some((1, after + window)),
        "a failure after the window opens a new one"
    );
    t.clear_login_failures(&acct).await.unwrap();
    assert_eq!(t.login_failures(&acct, after).await.unwrap(), None);
    assert_eq!(t.login_failures(&key("other"), now).await.unwrap(), None);
}

pub async fn throttles_limit_lock_and_prune(store: Arc<dyn Store>) {
    throttle_rules(store.as_ref(), "").await;
    // Everything above has run out an hour later: nothing is left to keep.
    let t: &dyn ThrottleStore = store.as_ref();
    t.record_login_failure("fresh", Duration::minutes(15), t0() + Duration::hours(1))
        .await
        .unwrap();
    let pruned = t.prune_throttles(t0() + Duration::hours(1)).await.unwrap();
    assert_eq!(pruned, 2, "the two buckets; the new window stays");
    assert!(
        t.login_failures("fresh", t0() + Duration::hours(1))
            .await
            .unwrap()
            .is_some()
    );
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn memory_throttles_follow_the_rules() {
        let m = ventros_app::throttle::MemoryThrottles::default();
        super::throttle_rules(&m, "").await;
    }
}
