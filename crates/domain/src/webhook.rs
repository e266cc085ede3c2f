//! Outbound webhooks: an integrator's subscription (a URL and the event types it wants), each
//! delivery of an event to it and its attempts, the retry schedule, and which addresses a
//! delivery may never reach (the SSRF guard).

use crate::DomainError;
use crate::event::EventType;
use crate::ids::{EventId, ProjectId, TenantId};
use crate::secret::Secret;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use uuid::Uuid;

/// The job that delivers one event to one subscription.
pub const DELIVERY_JOB: &str = "webhook.deliver";

/// How long a rotated-out secret keeps signing beside the new one.
pub const PREVIOUS_SECRET_HOURS: i64 = 24;

/// When each retry comes after the attempt before it (Standard Webhooks' example schedule).
/// After the last, the delivery is dead: visible in the log, and retried only by hand.
pub const RETRY_SCHEDULE_SECONDS: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

/// One integrator endpoint of a project.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub url: String,
    /// Exact event types and `prefix.*` patterns.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub enabled: bool,
    /// Why it was disabled by Ventros (`gone`: the endpoint answered 410; `failing`: every
    /// delivery failed for the configured hours), `None` when enabled or disabled by hand.
    pub disabled_reason: Option<String>,
    pub secret: Secret,
    /// The secret before the last rotation, signing too until `previous_secret_until`.
    pub previous_secret: Option<Secret>,
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// Since when every delivery has failed (cleared by the next success).
    pub failing_since: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Subscription {
    /// Whether this subscription wants events of type `t`.
    pub fn wants(&self, t: &str) -> bool {
        self.events.iter().any(|f| filter_matches(f, t))
    }

    /// The secrets that sign a delivery at `now`: the current one, and the previous one
    /// during its grace period.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<&Secret> {
        let mut v = vec![&self.secret];
        if let (Some(p), Some(until)) = (&self.previous_secret, self.previous_secret_until)
            && now < until
        {
            v.push(p);
        }
        v
    }
}

/// Every event type a subscription may name: the catalogue.
pub fn known_event_types() -> Vec<&'static str> {
    EventType::ALL.iter().map(|t| t.as_str()).collect()
}

/// `filter` is an exact type or `prefix.*` (any type under `prefix.`); `*` alone is every type.
pub fn filter_matches(filter: &str, t: &str) -> bool {
    match filter.strip_suffix('*') {
        Some("") => true,
        Some(prefix) if prefix.ends_with('.') => t.starts_with(prefix),
        _ => filter == t,
    }
}

/// Checks the event filters of a subscription: at least one, each an exact known type or a
/// `prefix.*` that matches at least one known type; duplicates dropped, order kept.
pub fn validate_event_filters(events: &[String]) -> Result<Vec<String>, DomainError> {
    if events.is_empty() {
        return Err(DomainError::invalid(
            "events",
            "name at least one event type",
        ));
    }
    if events.len() > 100 {
        return Err(DomainError::invalid("events", "at most 100 filters"));
    }
    let known = known_event_types();
    let mut out: Vec<String> = Vec::new();
    for f in events {
        let f = f.trim();
        let ok = known.iter().any(|k| filter_matches(f, k))
            && (f == "*" || f.ends_with(".*") || known.contains(&f));
        if !ok {
            return Err(DomainError::invalid(
                "events",
                format!(
                    "unknown event type `{f}`; use one of {} or a `prefix.*` of them",
                    known.join(", ")
                ),
            ));
        }
        if !out.iter().any(|o| o == f) {
            out.push(f.to_string());
        }
    }
    Ok(out)
}

/// Checks a subscription URL: absolute `https` (or `http` when allowed), with a host, no
/// credentials, at most 2,000 characters. Where it resolves is checked at delivery time.
pub fn validate_url(url: &str, allow_http: bool) -> Result<String, DomainError> {
    let url = url.trim();
    let bad = |why: &str| DomainError::invalid("url", why);
    if url.len() > 2_000 {
        return Err(bad("at most 2000 characters"));
    }
    let rest = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
        (Some(r), _) => r,
        (None, Some(r)) if allow_http => r,
        (None, Some(_)) => return Err(bad("must be https")),
        _ => return Err(bad("must be an absolute https URL")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return Err(bad("has no host"));
    }
    if authority.contains('@') {
        return Err(bad("must not carry credentials"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain spaces or control characters"));
    }
    Ok(url.to_string())
}

/// Why an address is never a webhook target (unless private targets are allowed), or `None`
/// when it is a public unicast address.
pub fn blocked_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => {
            // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible addresses are their IPv4.
            if let Some(v4) = v6.to_ipv4_mapped() {
                return blocked_v4(v4);
            }
            blocked_v6(v6)
        }
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match () {
        _ if ip.is_unspecified() || a == 0 => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_private() => "private",
        _ if a == 169 && b == 254 => "link-local (cloud metadata)",
        _ if a == 100 && (64..128).contains(&b) => "carrier-grade NAT",
        _ if ip.is_multicast() => "multicast",
        _ if ip.is_broadcast() || a >= 240 => "reserved",
        _ if a == 192 && b == 0 && c == 0 => "IETF protocol assignments",
        _ if (a == 192 && b == 0 && c == 2)
            || (a == 198 && b == 51 && c == 100)
            || (a == 203 && b == 0 && c == 113) =>
        {
            "documentation"
        }
        _ if a == 198 && (b == 18 || b == 19) => "benchmarking",
        _ => return None,
    })
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    Some(match () {
        _ if ip.is_unspecified() => "unspecified",
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_multicast() => "multicast",
        _ if (s[0] & 0xffc0) == 0xfe80 => "link-local",
        _ if (s[0] & 0xfe00) == 0xfc00 => "unique local (private)",
        _ if (s[0] & 0xffc0) == 0xfec0 => "site-local",
        _ if s[0] == 0xfd00 && s[1] == 0x0ec2 => "cloud metadata",
        _ if s[0] == 0x2001 && s[1] == 0x0db8 => "documentation",
        _ if s[0] == 0x0064 && s[1] == 0xff9b => "NAT64",
        // ::a.b.c.d (deprecated IPv4-compatible) carries an IPv4 address.
        _ if s[..6] == [0, 0, 0, 0, 0, 0] => match blocked_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        )) {
            Some(r) => r,
            None => "IPv4-compatible",
        },
        _ => return None,
    })
}

/// When the attempt after attempt number `attempts` (1-based) is due, with `jitter` in
/// [-1, 1] spreading it by up to ±10%; `None` when the schedule is exhausted.
pub fn next_attempt_at(attempts: i32, now: DateTime<Utc>, jitter: f64) -> Option<DateTime<Utc>> {
    let i = usize::try_from(attempts.checked_sub(1)?).ok()?;
    let base = *RETRY_SCHEDULE_SECONDS.get(i)?;
    let spread = (base as f64 * 0.1 * jitter.clamp(-1.0, 1.0)).round() as i64;
    Some(now + Duration::seconds((base + spread).max(1)))
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Not attempted yet, or failed and waiting for its next attempt.
    Pending,
    Succeeded,
    /// Failed and will not be retried by itself: the schedule is exhausted, the
    /// subscription is gone or disabled, or the endpoint answered 410.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Succeeded => "succeeded",
            DeliveryStatus::Dead => "dead",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Dead]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// One event for one subscription, with its attempts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub id: Uuid,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub subscription_id: Uuid,
    /// The event's id, sent as `webhook-id`: the same on every attempt and every replay.
    pub event_id: EventId,
    pub event_type: String,
    pub aggregate_id: Uuid,
    /// When the event happened: deliveries of one aggregate go out in this order.
    pub occurred_at: DateTime<Utc>,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One try at a delivery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Attempt {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub attempted_at: DateTime<Utc>,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i32>,
    pub duration_ms: i64,
    /// The first 1 KiB of the endpoint's answer.
    pub response_excerpt: Option<String>,
    /// Why it failed: `timeout`, `connect`, `blocked_address: …`, `status 500`, …
    pub error: Option<String>,
}

/// The payload of what a delivery job carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryJob {
    pub delivery_id: Uuid,
    /// Its subscription, so the runner can keep one endpoint's deliveries under its cap
    /// (absent from jobs armed before it was added).
    #[serde(default)]
    pub subscription_id: Option<Uuid>,
    /// Its event's aggregate, so one aggregate's deliveries run one after the other.
    #[serde(default)]
    pub aggregate_id: Option<Uuid>,
}

impl DeliveryJob {
    pub fn key(delivery: Uuid) -> String {
        format!("{DELIVERY_JOB}:{delivery}")
    }

    pub fn job(d: &Delivery, run_at: DateTime<Utc>, now: DateTime<Utc>) -> crate::job::Job {
        crate::job::Job::pending(
            crate::tenancy::Scope {
                tenant_id: d.tenant_id,
                project_id: d.project_id,
            },
            DELIVERY_JOB,
            Self::key(d.id),
            serde_json::json!(DeliveryJob {
                delivery_id: d.id,
                subscription_id: Some(d.subscription_id),
                aggregate_id: Some(d.aggregate_id),
            }),
            run_at,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_take_exact_types_and_prefixes() {
        assert!(filter_matches("message.*", "message.received"));
        assert!(!filter_matches("message.*", "message_group.completed"));
        assert!(filter_matches("session.ended", "session.ended"));
        assert!(!filter_matches("session.ended", "session.started"));
        assert!(filter_matches("*", "anything.at_all"));
        let ok = validate_event_filters(&[
            "message.*".into(),
            "session.ended".into(),
            "message.*".into(),
        ]);
        assert_eq!(
            ok.ok(),
            Some(vec!["message.*".to_string(), "session.ended".to_string()])
        );
        for bad in ["message.recieved", "nothing.*", "message*", ""] {
            let e = validate_event_filters(&[bad.into()])
                .err()
                .map(|e| e.to_string());
            assert!(
                e.as_deref().is_some_and(|m| m.contains("session.ended")),
                "{bad}: {e:?}"
            );
        }
        assert!(validate_event_filters(&[]).is_err());
    }

    #[test]
    fn urls_are_https_unless_http_is_allowed() {
        assert!(validate_url("https://hooks.example.com/ventros", false).is_ok());
        assert!(validate_url("http://hooks.example.com/", false).is_err());
        assert!(validate_url("http://hooks.example.com/", true).is_ok());
        assert!(validate_url("ftp://x", true).is_err());
        assert!(validate_url("https://user:pw@hooks.example.com/", false).is_err());
        assert!(validate_url("https:///path", false).is_err());
        assert!(validate_url("https://a b.example/", false).is_err());
    }

    #[test]
    fn every_private_range_is_blocked_and_public_ones_are_not() {
        let blocked = [
            "127.0.0.1",
            "127.255.255.254",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.10",
            "::1",
            "::",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ];
        for ip in blocked {
            let parsed: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
            assert!(blocked_range(parsed).is_some(), "{ip} must be blocked");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
        ] {
            let parsed: IpAddr = ip.parse().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
            assert_eq!(blocked_range(parsed), None, "{ip} is public");
        }
    }

    #[test]
    fn the_schedule_runs_out_after_seven_retries() {
        let now = Utc::now();
        assert_eq!(
            next_attempt_at(1, now, 0.0),
            Some(now + Duration::seconds(5))
        );
        assert_eq!(
            next_attempt_at(2, now, 1.0),
            Some(now + Duration::seconds(330))
        );
        assert_eq!(
            next_attempt_at(7, now, -1.0),
            Some(now + Duration::seconds(32_400))
        );
        assert_eq!(next_attempt_at(8, now, 0.0), None);
    }
}
