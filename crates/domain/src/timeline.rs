//! The contact timeline: significant things about a contact, each with a type and a category.

use crate::event::EventEnvelope;
use crate::ids::{ContactEventId, ContactId, EventId, ProjectId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContactEvent {
    pub id: ContactEventId,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub contact_id: ContactId,
    /// The event type that produced the entry (`session.started`, …).
    #[serde(rename = "type")]
    pub event_type: String,
    pub category: String,
    pub summary: String,
    pub payload: serde_json::Value,
    pub source_event_id: EventId,
    pub occurred_at: DateTime<Utc>,
}

/// The timeline entry an event produces, if any: which contact, category and summary.
pub fn timeline_entry(e: &EventEnvelope) -> Option<ContactEvent> {
    let (category, summary) = match e.event_type.as_str() {
        "contact.created" => ("lifecycle", "Contact created".to_string()),
        "contact.updated" => ("profile", "Contact details updated".to_string()),
        "contact.profile_picture_updated" => match e.payload.get("file_id") {
            Some(serde_json::Value::String(_)) => {
                ("profile", "Profile picture updated".to_string())
            }
            _ => ("profile", "Profile picture removed".to_string()),
        },
        "contact.merged" => {
            let lid = e
                .payload
                .get("merged_lid")
                .and_then(|v| v.as_str())
                .unwrap_or("its LID");
            (
                "profile",
                format!("Merged with the contact first seen as {lid}"),
            )
        }
        "session.started" => ("conversation", "Conversation started".to_string()),
        "session.ended" => ("conversation", "Conversation ended".to_string()),
        "contact.deleted" => ("lifecycle", "Contact deleted".to_string()),
        "note.added" => {
            let body = e.payload.get("body").and_then(|v| v.as_str()).unwrap_or("");
            let short: String = body.chars().take(80).collect();
            ("note", format!("Note: {short}"))
        }
        "note.deleted" => ("note", "Note deleted".to_string()),
        "contact.call_received" => {
            let what = e
                .payload
                .get("call_event")
                .and_then(|v| v.as_str())
                .unwrap_or("call");
            ("call", format!("WhatsApp {what}"))
        }
        _ => return None,
    };
    let contact_id = if e.aggregate_type == "contact" {
        Some(e.aggregate_id)
    } else {
        e.payload
            .get("contact_id")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
    }?;
    Some(ContactEvent {
        id: ContactEventId::new(),
        tenant_id: e.tenant_id,
        project_id: e.project_id,
        contact_id: ContactId(contact_id),
        event_type: e.event_type.clone(),
        category: category.to_string(),
        summary,
        payload: e.payload.clone(),
        source_event_id: e.id,
        occurred_at: e.occurred_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{EventContext, EventType};

    #[test]
    fn session_started_goes_to_the_contact_in_its_payload() {
        let c = Uuid::now_v7();
        let e = EventEnvelope::new(
            &EventContext::default(),
            TenantId::new(),
            ProjectId::new(),
            EventType::SessionStarted,
            Uuid::now_v7(),
            Utc::now(),
            serde_json::json!({"contact_id": c.to_string()}),
        );
        let t = timeline_entry(&e);
        assert_eq!(t.as_ref().map(|t| t.contact_id.0), Some(c));
        assert_eq!(
            t.as_ref().map(|t| t.category.as_str()),
            Some("conversation")
        );
    }

    #[test]
    fn messages_do_not_flood_the_timeline() {
        let e = EventEnvelope::new(
            &EventContext::default(),
            TenantId::new(),
            ProjectId::new(),
            EventType::MessageReceived,
            Uuid::now_v7(),
            Utc::now(),
            serde_json::json!({"contact_id": Uuid::now_v7().to_string()}),
        );
        assert_eq!(timeline_entry(&e), None);
    }
}
