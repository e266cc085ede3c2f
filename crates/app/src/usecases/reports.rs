//! Reports over finalised session metrics: aggregated per agent, channel or period with
//! percentiles, one CSV row per session, and live counts. Definitions in docs/METRICS.md.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{LiveCounts, MetricsStore, ReportFilter};
use chrono::{DateTime, Datelike, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ventros_domain::ids::{AgentId, ChannelId, SessionId};
use ventros_domain::metrics::{SessionMetrics, Stats};
use ventros_domain::rbac::Permission;
use ventros_domain::session::Session;

/// A report reads at most this many sessions; narrow the period beyond that.
pub const MAX_REPORT_SESSIONS: usize = 100_000;
const PAGE: u32 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Agent,
    Channel,
    Day,
    Week,
    Month,
}

#[derive(Debug, Clone, Default)]
pub struct ReportQuery {
    pub filter: ReportFilter,
    /// Only sessions this agent is credited with (and, grouped by agent, only its row).
    pub agent_id: Option<AgentId>,
    pub group_by: Option<GroupBy>,
}

/// The figures of one group of sessions.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ReportRow {
    /// The agent id, channel id or period start (`2026-11-22`, the Monday of the week,
    /// `2026-11`); `null` for the total, or for sessions no agent is credited with.
    pub key: Option<String>,
    pub sessions: i64,
    /// Contact-initiated sessions: first reply − first contact message.
    pub agent_first_response: Stats,
    /// Agent-initiated sessions: first contact reply − first agent message.
    pub contact_first_response: Stats,
    /// Every answered waiting period of the contact.
    pub waiting: Stats,
    /// Sessions that ended with the contact still waiting.
    pub unanswered: i64,
    pub duration: Stats,
    pub handling: Stats,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SessionReport {
    pub group_by: Option<GroupBy>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub rows: Vec<ReportRow>,
    pub total: ReportRow,
}

#[derive(Default)]
struct Acc {
    sessions: i64,
    afr: Vec<i64>,
    cfr: Vec<i64>,
    waiting: Vec<i64>,
    unanswered: i64,
    duration: Vec<i64>,
    handling: Vec<i64>,
}

impl Acc {
    /// Adds a session's figures, or (for an agent's row) only what that agent is credited with.
    fn add(&mut self, m: &SessionMetrics, agent: Option<AgentId>) {
        self.sessions += 1;
        let credited = |who: Option<AgentId>| agent.is_none() || who == agent;
        if credited(m.first_response_agent_id) {
            self.afr.extend(m.agent_first_response_seconds);
            self.cfr.extend(m.contact_first_response_seconds);
        }
        self.waiting.extend(
            m.waits
                .iter()
                .filter(|w| credited(w.agent_id))
                .map(|w| w.seconds),
        );
        if m.unanswered_wait_seconds.is_some() {
            self.unanswered += 1;
        }
        self.duration.push(m.duration_seconds);
        self.handling.push(match agent {
            None => m.handling_seconds,
            Some(a) => m
                .agents
                .iter()
                .find(|c| c.agent_id == a)
                .map_or(0, |c| c.handling_seconds),
        });
    }

    fn row(&self, key: Option<String>) -> ReportRow {
        ReportRow {
            key,
            sessions: self.sessions,
            agent_first_response: Stats::of(&self.afr),
            contact_first_response: Stats::of(&self.cfr),
            waiting: Stats::of(&self.waiting),
            unanswered: self.unanswered,
            duration: Stats::of(&self.duration),
            handling: Stats::of(&self.handling),
        }
    }
}

/// The agents a session's figures are credited to (handling, replies or first response).
fn credited_agents(m: &SessionMetrics) -> Vec<AgentId> {
    let mut ids: Vec<AgentId> = m.agents.iter().map(|a| a.agent_id).collect();
    ids.extend(m.first_response_agent_id);
    ids.sort();
    ids.dedup();
    ids
}

fn period_key(g: GroupBy, t: DateTime<Utc>) -> Option<String> {
    let d = t.date_naive();
    match g {
        GroupBy::Day => Some(d.format("%Y-%m-%d").to_string()),
        GroupBy::Week => {
            let back = Duration::days(i64::from(d.weekday().num_days_from_monday()));
            let monday = d.checked_sub_signed(back).unwrap_or(d);
            Some(monday.format("%Y-%m-%d").to_string())
        }
        GroupBy::Month => Some(d.format("%Y-%m").to_string()),
        GroupBy::Agent | GroupBy::Channel => None,
    }
}

fn check_period(f: &ReportFilter) -> AppResult<()> {
    if let (Some(from), Some(to)) = (f.from, f.to)
        && from >= to
    {
        return Err(AppError::Validation {
            field: "to".into(),
            reason: "must be after from".into(),
        });
    }
    Ok(())
}

/// Every ended session with figures matching the query (agent filter applied).
async fn matching_sessions(
    store: &dyn MetricsStore,
    actor: &Actor,
    q: &ReportQuery,
) -> AppResult<Vec<Session>> {
    actor.require(Permission::ReportsRead)?;
    check_period(&q.filter)?;
    let mut out = Vec::new();
    let mut after: Option<SessionId> = None;
    loop {
        let page = store
            .report_sessions(actor.scope, &q.filter, after, PAGE)
            .await?;
        let Some(last) = page.last() else { break };
        after = Some(last.id);
        let full = page.len() < PAGE as usize;
        for s in page {
            let Some(m) = &s.metrics else { continue };
            if let Some(a) = q.agent_id
                && !credited_agents(m).contains(&a)
            {
                continue;
            }
            out.push(s);
            if out.len() > MAX_REPORT_SESSIONS {
                return Err(AppError::Unprocessable {
                    code: "report_too_large",
                    message: format!(
                        "more than {MAX_REPORT_SESSIONS} sessions match; narrow the period (from, to)"
                    ),
                });
            }
        }
        if full {
            break;
        }
    }
    Ok(out)
}

pub async fn session_report(
    store: &dyn MetricsStore,
    actor: &Actor,
    q: &ReportQuery,
) -> AppResult<SessionReport> {
    let sessions = matching_sessions(store, actor, q).await?;
    let mut total = Acc::default();
    let mut groups: BTreeMap<Option<String>, Acc> = BTreeMap::new();
    for s in &sessions {
        let Some(m) = &s.metrics else { continue };
        total.add(m, None);
        match q.group_by {
            None => {}
            Some(GroupBy::Agent) => {
                let agents = credited_agents(m);
                if agents.is_empty() && q.agent_id.is_none() {
                    groups.entry(None).or_default().add(m, None);
                }
                for a in agents {
                    if q.agent_id.is_none_or(|only| only == a) {
                        groups
                            .entry(Some(a.to_string()))
                            .or_default()
                            .add(m, Some(a));
                    }
                }
            }
            Some(GroupBy::Channel) => groups
                .entry(Some(s.channel_id.to_string()))
                .or_default()
                .add(m, None),
            Some(g) => groups
                .entry(period_key(g, s.started_at))
                .or_default()
                .add(m, None),
        }
    }
    Ok(SessionReport {
        group_by: q.group_by,
        from: q.filter.from,
        to: q.filter.to,
        rows: groups.iter().map(|(k, a)| a.row(k.clone())).collect(),
        total: total.row(None),
    })
}

/// The CSV export's columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "session_id",
    "channel_id",
    "chat_id",
    "contact_id",
    "agent_id",
    "started_at",
    "ended_at",
    "end_reason",
    "initiated_by",
    "agent_first_response_seconds",
    "contact_first_response_seconds",
    "first_response_agent_id",
    "first_response_by",
    "waiting_count",
    "waiting_sum_seconds",
    "waiting_mean_seconds",
    "waiting_max_seconds",
    "waiting_p50_seconds",
    "waiting_p90_seconds",
    "unanswered_wait_seconds",
    "duration_seconds",
    "handling_seconds",
    "human_handling_seconds",
    "bot_handling_seconds",
    "contact_messages",
    "human_messages",
    "bot_messages",
    "system_messages",
];

/// A CSV field: quoted when needed, and never read as a formula by a spreadsheet.
fn field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) || s.starts_with('\'') {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

fn name<T: Serialize>(v: Option<T>) -> String {
    v.and_then(|v| serde_json::to_value(v).ok())
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

/// One row per ended session with figures, header first.
pub async fn session_csv(
    store: &dyn MetricsStore,
    actor: &Actor,
    q: &ReportQuery,
) -> AppResult<String> {
    let sessions = matching_sessions(store, actor, q).await?;
    let mut out = CSV_COLUMNS.join(",");
    out.push('\n');
    let ts = csv_time;
    for s in &sessions {
        let Some(m) = &s.metrics else { continue };
        let cells = [
            s.id.to_string(),
            s.channel_id.to_string(),
            s.chat_id.to_string(),
            opt(s.contact_id),
            opt(s.agent_id),
            ts(s.started_at),
            opt(s.ended_at.map(ts)),
            field(s.end_reason.as_deref().unwrap_or_default()),
            name(m.initiated_by),
            opt(m.agent_first_response_seconds),
            opt(m.contact_first_response_seconds),
            opt(m.first_response_agent_id),
            name(m.first_response_by),
            m.waiting.count.to_string(),
            m.waiting.sum_seconds.to_string(),
            opt(m.waiting.mean_seconds.map(|v| format!("{v:.3}"))),
            opt(m.waiting.max_seconds),
            opt(m.waiting.p50_seconds),
            opt(m.waiting.p90_seconds),
            opt(m.unanswered_wait_seconds),
            m.duration_seconds.to_string(),
            m.handling_seconds.to_string(),
            m.human_handling_seconds.to_string(),
            m.bot_handling_seconds.to_string(),
            m.messages.contact.to_string(),
            m.messages.human.to_string(),
            m.messages.bot.to_string(),
            m.messages.system.to_string(),
        ];
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// A time as the CSV writes it: RFC 3339 in UTC with milliseconds, as exact as the JSON.
fn csv_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

pub async fn live_counts(
    store: &dyn MetricsStore,
    actor: &Actor,
    channel: Option<ChannelId>,
) -> AppResult<LiveCounts> {
    actor.require(Permission::ReportsRead)?;
    store.live_counts(actor.scope, channel).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("=cmd()"), "\"'=cmd()\"");
    }

    #[test]
    fn csv_times_keep_their_milliseconds() {
        let t = Utc
            .timestamp_millis_opt(1_764_583_200_123)
            .single()
            .unwrap_or_default();
        assert_eq!(csv_time(t), "2025-12-01T10:00:00.123Z");
        assert_eq!(
            csv_time(t - chrono::Duration::milliseconds(123)),
            "2025-12-01T10:00:00.000Z"
        );
    }

    #[test]
    fn periods_start_on_the_day_monday_and_month() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 22, 23, 59, 0)
            .single()
            .unwrap_or_default();
        assert_eq!(period_key(GroupBy::Day, t).as_deref(), Some("2026-11-22"));
        assert_eq!(period_key(GroupBy::Week, t).as_deref(), Some("2026-11-16"));
        assert_eq!(period_key(GroupBy::Month, t).as_deref(), Some("2026-11"));
    }
}
