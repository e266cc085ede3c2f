//! Session metrics: a pure function of a session's messages and assignment
//! intervals, so the figures stored at session end can be recomputed at any time and come
//! out identical. Definitions are in docs/METRICS.md.

use crate::agent::AgentKind;
use crate::ids::AgentId;
use crate::message::SenderKind;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What the computation needs of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricMessage {
    pub at: DateTime<Utc>,
    pub sender: SenderKind,
    /// Who wrote it, when it was sent through Ventros; otherwise the agent on duty is
    /// credited.
    pub agent: Option<(AgentId, AgentKind)>,
}

/// What the computation needs of one assignment interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricInterval {
    /// `None`: nobody on duty (an unassign).
    pub agent: Option<(AgentId, AgentKind)>,
    pub from: DateTime<Utc>,
    /// `None`: still open (runs to the session's end).
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    Contact,
    Agent,
}

/// Whether a reply came from a person (agent or phone app) or a bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Responder {
    Human,
    Bot,
}

/// Count, sum, mean, max and nearest-rank percentiles of a list of durations in seconds.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Stats {
    pub count: i64,
    pub sum_seconds: i64,
    pub mean_seconds: Option<f64>,
    pub max_seconds: Option<i64>,
    pub p50_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
}

impl Stats {
    pub fn of(values: &[i64]) -> Stats {
        let mut v = values.to_vec();
        v.sort_unstable();
        let count = i64::try_from(v.len()).unwrap_or(i64::MAX);
        let sum: i64 = v.iter().fold(0i64, |a, x| a.saturating_add(*x));
        Stats {
            count,
            sum_seconds: sum,
            mean_seconds: (count > 0).then(|| sum as f64 / count as f64),
            max_seconds: v.last().copied(),
            p50_seconds: percentile(&v, 50),
            p90_seconds: percentile(&v, 90),
        }
    }
}

/// Nearest-rank percentile of sorted values: the smallest value with at least `p`% of the
/// values at or below it.
pub fn percentile(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let n = sorted.len();
    let rank = (n * p as usize).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// One answered waiting period of the contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Wait {
    pub started_at: DateTime<Utc>,
    pub answered_at: DateTime<Utc>,
    pub seconds: i64,
    pub responder: Responder,
    /// The agent on duty when the answer was written.
    pub agent_id: Option<AgentId>,
}

/// What one agent is credited with in a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentCredit {
    pub agent_id: AgentId,
    pub kind: AgentKind,
    pub handling_seconds: i64,
    /// Replies (human or bot) written while this agent was on duty.
    pub replies: i64,
    /// Waiting periods that ended with a reply while this agent was on duty.
    pub waits_answered: i64,
    pub first_response: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct MessageCounts {
    pub contact: i64,
    /// Agents and people of the business writing from the phone app.
    pub human: i64,
    pub bot: i64,
    pub system: i64,
}

/// A session's figures, as stored on the session and carried by `session.metrics_calculated`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SessionMetrics {
    /// Who wrote the first non-system message; `None` when there was none.
    pub initiated_by: Option<Initiator>,
    /// Contact wrote first: first reply − first contact message.
    pub agent_first_response_seconds: Option<i64>,
    /// Agent wrote first: first contact reply − first agent message.
    pub contact_first_response_seconds: Option<i64>,
    /// The agent on duty at the first agent/bot message that counts: the first reply when
    /// the contact wrote first, the outreach when the agent wrote first.
    pub first_response_agent_id: Option<AgentId>,
    /// Whether that message came from a person or a bot.
    pub first_response_by: Option<Responder>,
    /// First to last message.
    pub duration_seconds: i64,
    /// Time with an agent assigned, within the session.
    pub handling_seconds: i64,
    pub human_handling_seconds: i64,
    pub bot_handling_seconds: i64,
    pub waiting: Stats,
    /// The contact was still waiting when the session ended: for how long.
    pub unanswered_wait_seconds: Option<i64>,
    pub messages: MessageCounts,
    /// Waits answered by humans vs bots.
    pub waits_answered_by_human: i64,
    pub waits_answered_by_bot: i64,
    pub waits: Vec<Wait>,
    pub agents: Vec<AgentCredit>,
}

fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_seconds().max(0)
}

fn responder(s: SenderKind) -> Option<Responder> {
    match s {
        SenderKind::Agent | SenderKind::PhoneApp => Some(Responder::Human),
        SenderKind::Bot => Some(Responder::Bot),
        SenderKind::Contact | SenderKind::System => None,
    }
}

/// Who a reply is credited to: its author when known, else the agent on duty.
fn author(m: &MetricMessage, intervals: &[MetricInterval]) -> Option<(AgentId, AgentKind)> {
    m.agent.or_else(|| on_duty(intervals, m.at))
}

/// The agent on duty at `t`: the latest-starting interval that covers it.
fn on_duty(intervals: &[MetricInterval], t: DateTime<Utc>) -> Option<(AgentId, AgentKind)> {
    intervals
        .iter()
        .filter(|i| i.from <= t && i.to.is_none_or(|to| t < to))
        .max_by_key(|i| i.from)
        .and_then(|i| i.agent)
}

fn credit(agents: &mut Vec<AgentCredit>, id: AgentId, kind: AgentKind) -> usize {
    if let Some(i) = agents.iter().position(|a| a.agent_id == id) {
        return i;
    }
    agents.push(AgentCredit {
        agent_id: id,
        kind,
        handling_seconds: 0,
        replies: 0,
        waits_answered: 0,
        first_response: false,
    });
    agents.len() - 1
}

/// Computes a session's metrics. `end` is when the session ended (or "now" for a live view);
/// messages are ordered by time, a contact message before any other in the same instant.
pub fn compute(
    messages: &[MetricMessage],
    intervals: &[MetricInterval],
    end: DateTime<Utc>,
) -> SessionMetrics {
    let mut ms = messages.to_vec();
    ms.sort_by_key(|m| (m.at, m.sender != SenderKind::Contact));

    let mut counts = MessageCounts::default();
    for m in &ms {
        match m.sender {
            SenderKind::Contact => counts.contact += 1,
            SenderKind::Agent | SenderKind::PhoneApp => counts.human += 1,
            SenderKind::Bot => counts.bot += 1,
            SenderKind::System => counts.system += 1,
        }
    }

    let speaking: Vec<&MetricMessage> = ms
        .iter()
        .filter(|m| m.sender != SenderKind::System)
        .collect();
    let initiated_by = speaking.first().map(|m| {
        if m.sender == SenderKind::Contact {
            Initiator::Contact
        } else {
            Initiator::Agent
        }
    });
    let first_contact = speaking.iter().find(|m| m.sender == SenderKind::Contact);
    let first_reply = speaking.iter().find(|m| responder(m.sender).is_some());
    let (mut agent_first, mut contact_first, mut first_agent, mut first_by) =
        (None, None, None, None);
    if let (Some(c), Some(r)) = (first_contact, first_reply) {
        match initiated_by {
            Some(Initiator::Contact) => {
                agent_first = Some(secs(c.at, r.at));
                first_agent = author(r, intervals).map(|a| a.0);
                first_by = responder(r.sender);
            }
            Some(Initiator::Agent) => {
                contact_first = Some(secs(r.at, c.at));
                first_agent = author(r, intervals).map(|a| a.0);
                first_by = responder(r.sender);
            }
            None => {}
        }
    }

    let mut waits = Vec::new();
    let mut waiting_since: Option<DateTime<Utc>> = None;
    for m in &speaking {
        match responder(m.sender) {
            None => {
                waiting_since.get_or_insert(m.at);
            }
            Some(by) => {
                if let Some(since) = waiting_since.take() {
                    waits.push(Wait {
                        started_at: since,
                        answered_at: m.at,
                        seconds: secs(since, m.at),
                        responder: by,
                        agent_id: author(m, intervals).map(|a| a.0),
                    });
                }
            }
        }
    }

    let start = ms.first().map(|m| m.at);
    let duration = match (start, ms.last()) {
        (Some(a), Some(b)) => secs(a, b.at),
        _ => 0,
    };

    // Handling: assignment intervals clipped to [first message, end], in milliseconds.
    let mut agents: Vec<AgentCredit> = Vec::new();
    let mut handled_ms: Vec<(usize, i64)> = Vec::new();
    if let Some(start) = start {
        for i in intervals {
            let Some((id, kind)) = i.agent else { continue };
            let from = i.from.max(start);
            let to = i.to.unwrap_or(end).min(end);
            let ms = (to - from).num_milliseconds();
            if ms > 0 {
                handled_ms.push((credit(&mut agents, id, kind), ms));
            }
        }
    }
    for m in &speaking {
        if responder(m.sender).is_some()
            && let Some((id, kind)) = author(m, intervals)
        {
            let i = credit(&mut agents, id, kind);
            agents[i].replies += 1;
        }
    }
    for w in &waits {
        if let Some(id) = w.agent_id
            && let Some(a) = agents.iter_mut().find(|a| a.agent_id == id)
        {
            a.waits_answered += 1;
        }
    }
    if let Some(id) = first_agent
        && let Some(a) = agents.iter_mut().find(|a| a.agent_id == id)
    {
        a.first_response = true;
    }
    let mut per_agent_ms = vec![0i64; agents.len()];
    for (i, ms) in handled_ms {
        per_agent_ms[i] += ms;
    }
    let (mut total, mut human, mut bot) = (0i64, 0i64, 0i64);
    for (a, ms) in agents.iter_mut().zip(&per_agent_ms) {
        a.handling_seconds = ms / 1000;
        total += ms;
        match a.kind {
            AgentKind::Human => human += ms,
            AgentKind::Bot => bot += ms,
            AgentKind::System => {}
        }
    }
    agents.sort_by_key(|a| a.agent_id.0);

    let wait_secs: Vec<i64> = waits.iter().map(|w| w.seconds).collect();
    SessionMetrics {
        initiated_by,
        agent_first_response_seconds: agent_first,
        contact_first_response_seconds: contact_first,
        first_response_agent_id: first_agent,
        first_response_by: first_by,
        duration_seconds: duration,
        handling_seconds: total / 1000,
        human_handling_seconds: human / 1000,
        bot_handling_seconds: bot / 1000,
        waiting: Stats::of(&wait_secs),
        unanswered_wait_seconds: waiting_since.map(|s| secs(s, end)),
        messages: counts,
        waits_answered_by_human: waits
            .iter()
            .filter(|w| w.responder == Responder::Human)
            .count() as i64,
        waits_answered_by_bot: waits
            .iter()
            .filter(|w| w.responder == Responder::Bot)
            .count() as i64,
        waits,
        agents,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0)
            .single()
            .unwrap_or_default()
    }
    fn m(s: i64, sender: SenderKind) -> MetricMessage {
        MetricMessage {
            at: t(s),
            sender,
            agent: None,
        }
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let v: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&v, 50), Some(5));
        assert_eq!(percentile(&v, 90), Some(9));
        assert_eq!(percentile(&[1, 2, 3], 50), Some(2));
        assert_eq!(percentile(&[1, 2, 3], 90), Some(3));
    }

    #[test]
    fn contact_initiated_session_with_two_waits_and_a_bot() {
        let (a, b) = (AgentId::new(), AgentId::new());
        let intervals = [
            MetricInterval {
                agent: Some((b, AgentKind::Bot)),
                from: t(0),
                to: Some(t(100)),
            },
            MetricInterval {
                agent: Some((a, AgentKind::Human)),
                from: t(100),
                to: None,
            },
        ];
        let msgs = [
            m(10, SenderKind::Contact),
            m(12, SenderKind::Contact),
            m(40, SenderKind::Bot),
            m(50, SenderKind::System),
            m(200, SenderKind::Contact),
            m(260, SenderKind::PhoneApp),
            m(300, SenderKind::Contact),
        ];
        let x = compute(&msgs, &intervals, t(400));
        assert_eq!(x.initiated_by, Some(Initiator::Contact));
        assert_eq!(x.agent_first_response_seconds, Some(30));
        assert_eq!(x.contact_first_response_seconds, None);
        assert_eq!(x.first_response_agent_id, Some(b));
        assert_eq!(x.first_response_by, Some(Responder::Bot));
        assert_eq!(x.waiting.count, 2);
        assert_eq!(x.waiting.sum_seconds, 90);
        assert_eq!(x.waiting.max_seconds, Some(60));
        assert_eq!(x.unanswered_wait_seconds, Some(100));
        assert_eq!(x.duration_seconds, 290);
        // Bot from the first message (10) to 100, human from 100 to the end (400).
        assert_eq!(x.bot_handling_seconds, 90);
        assert_eq!(x.human_handling_seconds, 300);
        assert_eq!(x.handling_seconds, 390);
        assert_eq!(
            x.messages,
            MessageCounts {
                contact: 4,
                human: 1,
                bot: 1,
                system: 1
            }
        );
        assert_eq!((x.waits_answered_by_bot, x.waits_answered_by_human), (1, 1));
    }

    #[test]
    fn agent_initiated_session_measures_the_contact() {
        let msgs = [
            m(0, SenderKind::System),
            m(5, SenderKind::PhoneApp),
            m(65, SenderKind::Contact),
        ];
        let x = compute(&msgs, &[], t(100));
        assert_eq!(x.initiated_by, Some(Initiator::Agent));
        assert_eq!(x.contact_first_response_seconds, Some(60));
        assert_eq!(x.agent_first_response_seconds, None);
        assert_eq!(x.handling_seconds, 0);
        assert_eq!(x.unanswered_wait_seconds, Some(35));
        assert!(x.agents.is_empty());
    }

    #[test]
    fn system_messages_never_answer() {
        let msgs = [m(0, SenderKind::Contact), m(1, SenderKind::System)];
        let x = compute(&msgs, &[], t(10));
        assert_eq!(x.agent_first_response_seconds, None);
        assert_eq!(x.waiting.count, 0);
        assert_eq!(x.unanswered_wait_seconds, Some(10));
    }

    #[test]
    fn a_contact_message_in_the_same_second_counts_first() {
        let msgs = [m(3, SenderKind::Agent), m(3, SenderKind::Contact)];
        let x = compute(&msgs, &[], t(10));
        assert_eq!(x.initiated_by, Some(Initiator::Contact));
        assert_eq!(x.agent_first_response_seconds, Some(0));
    }
}
