//! The hot path: one decoded gateway delivery becomes durable CRM state and outbox events in
//! one transaction (docs/ARCHITECTURE.md, "The ingest transaction"). Duplicates change
//! nothing. `receive` turns the raw webhook into a delivery; one file per event family
//! handles what the delivery is about.

mod call;
mod channel;
mod conversation;
mod group;
mod message;
mod message_changes;
mod message_group;
mod outbound;
mod receive;

pub use outbound::{
    ChatRef, OwnChange, QueueSend, SendView, Step, apply_own, orphan_channel, queue_send, record,
    send_view, webhook_channel,
};
pub use receive::{ReceiveError, Received, WebhookRequest, receive_webhook};

use crate::error::AppResult;
use crate::gateway::{InboundDelivery, InboundEvent};
use crate::ports::{Clock, DeliveryRecord, IngestStore, IngestTx, WebhookChannel};
use crate::usecases::events::Emitter;
use chrono::{DateTime, Utc};
use ventros_domain::contact::ContactSighting;
use ventros_domain::event::EventContext;
use ventros_domain::ids::{ChannelId, DeliveryId};
use ventros_domain::message::EarlyChange;
use ventros_domain::wa_id::{Jid, JidKind};

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngestOutcome {
    Processed,
    /// The same delivery, or the same message through another delivery, was seen before.
    Duplicate,
    /// Understood, nothing to act on.
    Ignored(String),
    /// Missing what it needs (kept in the delivery log).
    Rejected(String),
    /// Refers to a message Ventros does not have.
    Unmatched(String),
}

impl IngestOutcome {
    /// The stable outcome name (as logged in `inbound_deliveries` and answered to WAHA) and its reason.
    pub fn label(&self) -> (&'static str, Option<&str>) {
        match self {
            IngestOutcome::Processed => ("processed", None),
            IngestOutcome::Duplicate => ("duplicate", None),
            IngestOutcome::Ignored(r) => ("ignored", Some(r)),
            IngestOutcome::Rejected(r) => ("rejected", Some(r)),
            IngestOutcome::Unmatched(r) => ("unmatched", Some(r)),
        }
    }
}

pub async fn ingest_webhook(
    store: &(impl IngestStore + ?Sized),
    clock: &dyn Clock,
    channel: &WebhookChannel,
    delivery: InboundDelivery,
    ctx: &EventContext,
) -> AppResult<IngestOutcome> {
    let now = clock.now();
    let mut tx = store.begin_ingest(channel.scope).await?;
    let record = DeliveryRecord {
        id: DeliveryId::new(),
        channel_id: channel.channel_id,
        dedupe_key: delivery.dedupe_key.clone(),
        event_name: delivery.event_name.clone(),
        outcome: "processed".into(),
        detail: None,
        body: delivery.raw,
        received_at: now,
    };
    if !tx.record_delivery(&record).await? {
        // Seen before: nothing was written; close the (empty) unit of work normally.
        tx.commit().await?;
        return Ok(IngestOutcome::Duplicate);
    }
    let ctx = EventContext {
        source: ctx.source.clone(),
        correlation_id: ctx
            .correlation_id
            .clone()
            .or_else(|| Some(delivery.dedupe_key.clone())),
        causation_id: Some(delivery.dedupe_key.clone()),
    };
    let mut em = Emitter {
        scope: channel.scope,
        ctx: &ctx,
        now,
        events: Vec::new(),
    };
    let fallback_at = delivery.occurred_at.unwrap_or(now);
    let mut ing = Ingest {
        tx: tx.as_mut(),
        em: &mut em,
        channel,
        now,
    };
    let outcome = match delivery.event {
        InboundEvent::Message(m) => ing.message(*m, fallback_at).await?,
        InboundEvent::Ack {
            key,
            from_me,
            status,
        } => {
            let from_me = key.from_me.unwrap_or(from_me);
            ing.ack(from_me, &key.raw_id, status).await?
        }
        InboundEvent::Revoked { raw_id, .. } => {
            let at = fallback_at;
            ing.change(None, &raw_id, EarlyChange::Revoked { at })
                .await?
        }
        InboundEvent::Edited {
            raw_id, body, at, ..
        } => {
            let at = at.unwrap_or(fallback_at);
            ing.change(None, &raw_id, EarlyChange::Edited { body, at })
                .await?
        }
        InboundEvent::Reaction {
            target,
            reactor,
            from_me,
            text,
            ..
        } => {
            let reactor = if from_me {
                "me".to_string()
            } else {
                reactor
                    .map(|j| j.to_string())
                    .unwrap_or_else(|| "unknown".into())
            };
            ing.change(
                target.from_me,
                &target.raw_id,
                EarlyChange::Reaction { reactor, text },
            )
            .await?
        }
        InboundEvent::SessionStatus { status } => ing.session_status(&status).await?,
        InboundEvent::Presence { chat, presences } => ing.presence(&chat, presences).await?,
        InboundEvent::Group(g) => ing.group(g, fallback_at).await?,
        InboundEvent::Call {
            call_event,
            call_id,
            from,
            is_video,
            is_group,
            at,
        } => {
            ing.call(
                &call_event,
                &call_id,
                from,
                is_video,
                is_group,
                at.unwrap_or(fallback_at),
            )
            .await?
        }
        InboundEvent::PollVote {
            poll,
            voter,
            selected,
            failed,
            at,
        } => {
            if failed {
                IngestOutcome::Ignored("the gateway could not decrypt this vote".into())
            } else {
                let change = EarlyChange::PollVote {
                    voter: voter.map(|j| j.to_string()).unwrap_or_else(|| "me".into()),
                    selected,
                    at: at.unwrap_or(fallback_at),
                };
                ing.change(poll.from_me, &poll.raw_id, change).await?
            }
        }
        InboundEvent::Unhandled { reason } => IngestOutcome::Ignored(reason),
        InboundEvent::Invalid { reason } => IngestOutcome::Rejected(reason),
    };
    if outcome != IngestOutcome::Processed {
        let (label, detail) = outcome.label();
        tx.set_delivery_outcome(record.id, label, detail).await?;
    }
    if outcome == IngestOutcome::Duplicate {
        // A message seen through another delivery: log this one, change nothing else.
        tx.commit().await?;
        return Ok(outcome);
    }
    tx.append_events(&em.events).await?;
    tx.commit().await?;
    Ok(outcome)
}

/// One delivery's unit of work, as the event families see it.
struct Ingest<'a, 'e, 'c> {
    tx: &'a mut dyn IngestTx,
    em: &'a mut Emitter<'e>,
    channel: &'c WebhookChannel,
    now: DateTime<Utc>,
}

/// Who a WhatsApp id is, as a contact: by phone, or by LID when the phone is hidden.
fn sighting_of(jid: &Jid, push_name: Option<String>) -> Option<ContactSighting> {
    let s = match jid.kind() {
        JidKind::Person => ContactSighting {
            phone: jid.phone(),
            wa_id: Some(jid.to_string()),
            lid: None,
            push_name,
        },
        JidKind::Lid => ContactSighting {
            phone: None,
            wa_id: None,
            lid: Some(jid.to_string()),
            push_name,
        },
        _ => return None,
    };
    s.has_identity().then_some(s)
}

impl Ingest<'_, '_, '_> {
    fn channel_id(&self) -> ChannelId {
        self.channel.channel_id
    }
}
