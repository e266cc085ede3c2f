//! Event payloads produced by ingestion (catalogued in docs/EVENTS.md).

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;
use ventros_domain::chat::Chat;
use ventros_domain::contact::Contact;
use ventros_domain::event::{EventContext, EventEnvelope, EventType};
use ventros_domain::message::Message;
use ventros_domain::session::Session;
use ventros_domain::tenancy::Scope;

pub(crate) struct Emitter<'a> {
    pub scope: Scope,
    pub ctx: &'a EventContext,
    pub now: DateTime<Utc>,
    pub events: Vec<EventEnvelope>,
}

impl Emitter<'_> {
    pub fn emit(&mut self, t: EventType, aggregate: Uuid, payload: serde_json::Value) {
        self.events.push(EventEnvelope::new(
            self.ctx,
            self.scope.tenant_id,
            self.scope.project_id,
            t,
            aggregate,
            self.now,
            payload,
        ));
    }
}

/// A job's payload, or the dead letter for one that cannot be read (retrying cannot help).
pub(crate) fn job_payload<T: serde::de::DeserializeOwned>(
    job: &ventros_domain::job::Job,
) -> Result<T, crate::ports::JobFinish> {
    serde_json::from_value(job.payload.clone()).map_err(|e| crate::ports::JobFinish::Dead {
        error: format!("bad payload: {e}"),
    })
}

/// An event written by a job's handler: caused by the job, from the worker.
pub(crate) fn job_event(
    job: &ventros_domain::job::Job,
    t: EventType,
    aggregate: Uuid,
    now: DateTime<Utc>,
    payload: serde_json::Value,
) -> EventEnvelope {
    EventEnvelope::new(
        &EventContext {
            source: "worker".into(),
            correlation_id: None,
            causation_id: Some(format!("job:{}", job.id)),
        },
        job.tenant_id,
        job.project_id,
        t,
        aggregate,
        now,
        payload,
    )
}

pub(crate) fn contact_payload(c: &Contact) -> serde_json::Value {
    json!({
        "contact_id": c.id,
        "phone": c.phone,
        "wa_id": c.wa_id,
        "lid": c.lid,
        "name": c.name,
        "push_name": c.push_name,
        "pipeline_id": c.pipeline_id,
    })
}

pub(crate) fn chat_payload(c: &Chat) -> serde_json::Value {
    json!({
        "chat_id": c.id,
        "channel_id": c.channel_id,
        "wa_chat_id": c.wa_chat_id,
        "kind": c.kind,
        "contact_id": c.contact_id,
        "subject": c.subject,
    })
}

pub(crate) fn session_payload(s: &Session) -> serde_json::Value {
    json!({
        "session_id": s.id,
        "chat_id": s.chat_id,
        "channel_id": s.channel_id,
        "contact_id": s.contact_id,
        "started_at": s.started_at,
    })
}

/// `session.ended`, whatever ended it: the `session.started` fields, when and why it ended,
/// its last activity, message counts and the agent on duty.
pub(crate) fn ended_payload(
    s: &Session,
    ended_at: chrono::DateTime<chrono::Utc>,
    reason: &str,
) -> serde_json::Value {
    let mut p = session_payload(s);
    p["ended_at"] = json!(ended_at);
    p["reason"] = json!(reason);
    p["last_message_at"] = json!(s.last_message_at);
    p["contact_messages"] = json!(s.contact_messages);
    p["agent_messages"] = json!(s.agent_messages);
    p["system_messages"] = json!(s.system_messages);
    p["agent_id"] = json!(s.agent_id);
    p
}

pub(crate) fn message_payload(m: &Message) -> serde_json::Value {
    json!({
        "message_id": m.id,
        "chat_id": m.chat_id,
        "session_id": m.session_id,
        "channel_id": m.channel_id,
        "contact_id": m.contact_id,
        "direction": m.direction,
        "sender_kind": m.sender_kind,
        "content_type": m.content_type,
        "body": m.body,
        "media": m.media,
        "reply_to": m.reply_to,
        "status": m.status,
        "provider_id": m.provider_id,
        "sent_at": m.sent_at,
    })
}
