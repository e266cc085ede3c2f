//! Session metrics against an independent reference: random sessions (contact, human, bot,
//! phone-app and system messages with random gaps, random reassignments) are measured by
//! `metrics::compute` and by a second-by-second simulation written here from the definitions in docs/METRICS.md.
#![expect(
    clippy::unwrap_used,
    reason = "a test fails loudly on what it did not expect"
)]

use chrono::{DateTime, TimeZone, Utc};
use proptest::prelude::*;
use ventros_domain::agent::AgentKind;
use ventros_domain::ids::AgentId;
use ventros_domain::message::SenderKind;
use ventros_domain::metrics::{Initiator, MetricInterval, MetricMessage, Responder, compute};

fn t(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_700_000_000 + s, 0).single().unwrap()
}

fn sender() -> impl Strategy<Value = SenderKind> {
    prop_oneof![
        4 => Just(SenderKind::Contact),
        2 => Just(SenderKind::Agent),
        2 => Just(SenderKind::Bot),
        1 => Just(SenderKind::PhoneApp),
        1 => Just(SenderKind::System),
    ]
}

#[derive(Debug, Clone)]
struct Case {
    /// (second, sender) in arrival order (not necessarily time order).
    messages: Vec<(i64, SenderKind)>,
    /// (second, agent index or none): who is on duty from that second on.
    changes: Vec<(i64, Option<usize>)>,
    end: i64,
}

fn case() -> impl Strategy<Value = Case> {
    (
        prop::collection::vec((0i64..400, sender()), 0..14),
        prop::collection::vec((0i64..3000, prop::option::of(0usize..3)), 0..6),
        0i64..600,
    )
        .prop_map(|(gaps, mut changes, tail)| {
            let mut at = 0;
            let messages: Vec<(i64, SenderKind)> = gaps
                .into_iter()
                .map(|(g, s)| {
                    at += g;
                    (at, s)
                })
                .collect();
            changes.sort_by_key(|c| c.0);
            changes.dedup_by_key(|c| c.0);
            let last_change = changes.last().map_or(0, |c| c.0);
            Case {
                end: at.max(last_change) + tail,
                messages,
                changes,
            }
        })
        .prop_flat_map(|c| {
            let n = c.messages.len();
            (Just(c), Just((0..n).collect::<Vec<_>>()).prop_shuffle())
        })
        .prop_map(|(mut c, order)| {
            c.messages = order.into_iter().map(|i| c.messages[i]).collect();
            c
        })
}

const KINDS: [AgentKind; 3] = [AgentKind::Human, AgentKind::Bot, AgentKind::System];

/// The store's view of the changes: closed intervals, like session_assignments.
fn intervals(c: &Case, agents: &[AgentId]) -> Vec<MetricInterval> {
    c.changes
        .iter()
        .enumerate()
        .map(|(i, (at, who))| MetricInterval {
            agent: who.map(|k| (agents[k], KINDS[k])),
            from: t(*at),
            to: c.changes.get(i + 1).map(|n| t(n.0)),
        })
        .collect()
}

fn duty(c: &Case, s: i64) -> Option<usize> {
    c.changes
        .iter()
        .rev()
        .find(|(at, _)| *at <= s)
        .and_then(|(_, who)| *who)
}

fn is_reply(s: SenderKind) -> bool {
    matches!(
        s,
        SenderKind::Agent | SenderKind::Bot | SenderKind::PhoneApp
    )
}

fn reference_percentile(v: &[i64], p: i64) -> Option<i64> {
    let n = v.len() as i64;
    let mut sorted = v.to_vec();
    sorted.sort();
    sorted
        .iter()
        .copied()
        .find(|x| v.iter().filter(|y| *y <= x).count() as i64 * 100 >= p * n)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn compute_matches_the_reference(c in case()) {
        let agents: Vec<AgentId> = (0..3).map(|_| AgentId::new()).collect();
        let msgs: Vec<MetricMessage> = c
            .messages
            .iter()
            .map(|(s, k)| MetricMessage {
                at: t(*s),
                sender: *k,
                agent: None,
            })
            .collect();
        let got = compute(&msgs, &intervals(&c, &agents), t(c.end));

        // Time order; in the same second the contact's message first.
        let mut seq = c.messages.clone();
        seq.sort_by_key(|(s, k)| (*s, if *k == SenderKind::Contact { 0 } else { 1 }));
        let talk: Vec<(i64, SenderKind)> =
            seq.iter().copied().filter(|(_, k)| *k != SenderKind::System).collect();

        // Counts.
        let count = |f: &dyn Fn(SenderKind) -> bool| seq.iter().filter(|(_, k)| f(*k)).count() as i64;
        prop_assert_eq!(got.messages.contact, count(&|k| k == SenderKind::Contact));
        prop_assert_eq!(got.messages.human, count(&|k| matches!(k, SenderKind::Agent | SenderKind::PhoneApp)));
        prop_assert_eq!(got.messages.bot, count(&|k| k == SenderKind::Bot));
        prop_assert_eq!(got.messages.system, count(&|k| k == SenderKind::System));

        // First responses.
        let first_contact = talk.iter().find(|(_, k)| *k == SenderKind::Contact);
        let first_reply = talk.iter().find(|(_, k)| is_reply(*k));
        match talk.first() {
            None => {
                prop_assert_eq!(got.initiated_by, None);
                prop_assert_eq!(got.agent_first_response_seconds, None);
                prop_assert_eq!(got.contact_first_response_seconds, None);
            }
            Some((_, SenderKind::Contact)) => {
                prop_assert_eq!(got.initiated_by, Some(Initiator::Contact));
                prop_assert_eq!(got.contact_first_response_seconds, None);
                let expected = first_reply.map(|r| r.0 - first_contact.unwrap().0);
                prop_assert_eq!(got.agent_first_response_seconds, expected);
                let credited = first_reply.and_then(|r| duty(&c, r.0)).map(|i| agents[i]);
                prop_assert_eq!(got.first_response_agent_id, credited);
            }
            Some(_) => {
                prop_assert_eq!(got.initiated_by, Some(Initiator::Agent));
                prop_assert_eq!(got.agent_first_response_seconds, None);
                let expected = first_contact.map(|m| m.0 - first_reply.unwrap().0);
                prop_assert_eq!(got.contact_first_response_seconds, expected);
                let credited = first_contact.and(first_reply).and_then(|r| duty(&c, r.0)).map(|i| agents[i]);
                prop_assert_eq!(got.first_response_agent_id, credited);
            }
        }

        // Waiting periods: each reply answers the contact messages since the previous reply;
        // the wait runs from the earliest of them.
        let mut waits = Vec::new();
        let mut answered_by = Vec::new();
        let mut last_reply_idx: Option<usize> = None;
        for (i, (s, k)) in talk.iter().enumerate() {
            if !is_reply(*k) {
                continue;
            }
            let from = last_reply_idx.map_or(0, |j| j + 1);
            if let Some((cs, _)) = talk[from..i].iter().find(|(_, k)| *k == SenderKind::Contact) {
                waits.push(s - cs);
                answered_by.push((*k, duty(&c, *s)));
            }
            last_reply_idx = Some(i);
        }
        let tail_from = last_reply_idx.map_or(0, |j| j + 1);
        let unanswered = talk[tail_from..]
            .iter()
            .find(|(_, k)| *k == SenderKind::Contact)
            .map(|(s, _)| c.end - s);
        prop_assert_eq!(got.unanswered_wait_seconds, unanswered);
        prop_assert_eq!(got.waiting.count, waits.len() as i64);
        prop_assert_eq!(got.waiting.sum_seconds, waits.iter().sum::<i64>());
        prop_assert_eq!(got.waiting.max_seconds, waits.iter().copied().max());
        prop_assert_eq!(got.waiting.p50_seconds, reference_percentile(&waits, 50));
        prop_assert_eq!(got.waiting.p90_seconds, reference_percentile(&waits, 90));
        let bots = answered_by.iter().filter(|(k, _)| *k == SenderKind::Bot).count() as i64;
        prop_assert_eq!(got.waits_answered_by_bot, bots);
        prop_assert_eq!(got.waits_answered_by_human, waits.len() as i64 - bots);
        let bot_waits = got.waits.iter().filter(|w| w.responder == Responder::Bot).count() as i64;
        prop_assert_eq!(bot_waits, bots);

        // Duration.
        let duration = match (seq.first(), seq.last()) {
            (Some(a), Some(b)) => b.0 - a.0,
            _ => 0,
        };
        prop_assert_eq!(got.duration_seconds, duration);

        // Handling: walk the session second by second from its first message to the end.
        let mut per_agent = [0i64; 3];
        if let Some((start, _)) = seq.first() {
            for s in *start..c.end {
                if let Some(i) = duty(&c, s) {
                    per_agent[i] += 1;
                }
            }
        }
        prop_assert_eq!(got.handling_seconds, per_agent.iter().sum::<i64>());
        prop_assert_eq!(got.human_handling_seconds, per_agent[0]);
        prop_assert_eq!(got.bot_handling_seconds, per_agent[1]);

        // Credits per agent.
        for (i, id) in agents.iter().enumerate() {
            let replies = talk.iter().filter(|(s, k)| is_reply(*k) && duty(&c, *s) == Some(i)).count() as i64;
            let answered = answered_by.iter().filter(|(_, d)| *d == Some(i)).count() as i64;
            let credit = got.agents.iter().find(|a| a.agent_id == *id);
            match credit {
                Some(a) => {
                    prop_assert_eq!(a.handling_seconds, per_agent[i]);
                    prop_assert_eq!(a.replies, replies);
                    prop_assert_eq!(a.waits_answered, answered);
                    prop_assert_eq!(a.first_response, got.first_response_agent_id == Some(*id));
                }
                None => {
                    prop_assert_eq!((per_agent[i], replies), (0, 0));
                }
            }
        }
    }
}
