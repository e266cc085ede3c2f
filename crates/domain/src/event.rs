//! The event envelope and the catalogue of event types (documented in docs/EVENTS.md).

use crate::ids::{EventId, ProjectId, TenantId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Every event type Ventros emits, with its payload version. `docs/EVENTS.md` documents each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    #[serde(rename = "tenant.created")]
    TenantCreated,
    #[serde(rename = "channel.created")]
    ChannelCreated,
    #[serde(rename = "channel.status_changed")]
    ChannelStatusChanged,
    #[serde(rename = "contact.created")]
    ContactCreated,
    #[serde(rename = "contact.updated")]
    ContactUpdated,
    #[serde(rename = "contact.call_received")]
    ContactCallReceived,
    #[serde(rename = "chat.created")]
    ChatCreated,
    #[serde(rename = "chat.participants_changed")]
    ChatParticipantsChanged,
    #[serde(rename = "chat.updated")]
    ChatUpdated,
    #[serde(rename = "chat.presence_updated")]
    ChatPresenceUpdated,
    #[serde(rename = "session.started")]
    SessionStarted,
    #[serde(rename = "session.ended")]
    SessionEnded,
    #[serde(rename = "session.reopened")]
    SessionReopened,
    #[serde(rename = "session.assigned")]
    SessionAssigned,
    #[serde(rename = "session.metrics_calculated")]
    SessionMetricsCalculated,
    #[serde(rename = "message_group.completed")]
    MessageGroupCompleted,
    #[serde(rename = "message_group.superseded")]
    MessageGroupSuperseded,
    #[serde(rename = "message.received")]
    MessageReceived,
    #[serde(rename = "message.sent")]
    MessageSent,
    #[serde(rename = "message.status_changed")]
    MessageStatusChanged,
    #[serde(rename = "message.deleted")]
    MessageDeleted,
    #[serde(rename = "message.edited")]
    MessageEdited,
    #[serde(rename = "message.reaction_changed")]
    MessageReactionChanged,
    #[serde(rename = "poll.vote_received")]
    PollVoteReceived,
    #[serde(rename = "channel.updated")]
    ChannelUpdated,
    #[serde(rename = "channel.deleted")]
    ChannelDeleted,
    #[serde(rename = "contact.deleted")]
    ContactDeleted,
    #[serde(rename = "note.added")]
    NoteAdded,
    #[serde(rename = "note.deleted")]
    NoteDeleted,
    #[serde(rename = "user.created")]
    UserCreated,
    #[serde(rename = "user.disabled")]
    UserDisabled,
    #[serde(rename = "agent.created")]
    AgentCreated,
    #[serde(rename = "agent.updated")]
    AgentUpdated,
    #[serde(rename = "api_key.created")]
    ApiKeyCreated,
    #[serde(rename = "api_key.revoked")]
    ApiKeyRevoked,
    #[serde(rename = "project.created")]
    ProjectCreated,
    #[serde(rename = "pipeline.created")]
    PipelineCreated,
    #[serde(rename = "pipeline.updated")]
    PipelineUpdated,
    #[serde(rename = "channel.activated")]
    ChannelActivated,
    #[serde(rename = "channel.deactivated")]
    ChannelDeactivated,
    #[serde(rename = "message.queued")]
    MessageQueued,
    #[serde(rename = "message.confirmed")]
    MessageConfirmed,
    #[serde(rename = "message.failed")]
    MessageFailed,
    #[serde(rename = "message.media_stored")]
    MessageMediaStored,
    #[serde(rename = "contact.profile_picture_updated")]
    ContactProfilePictureUpdated,
    #[serde(rename = "media.uploaded")]
    MediaUploaded,
    #[serde(rename = "contact.merged")]
    ContactMerged,
    #[serde(rename = "webhook.created")]
    WebhookCreated,
    #[serde(rename = "webhook.updated")]
    WebhookUpdated,
    #[serde(rename = "webhook.deleted")]
    WebhookDeleted,
    #[serde(rename = "webhook.disabled")]
    WebhookDisabled,
    #[serde(rename = "webhook.test")]
    WebhookTest,
}

impl EventType {
    pub const ALL: [EventType; 52] = [
        EventType::TenantCreated,
        EventType::ChannelCreated,
        EventType::ChannelStatusChanged,
        EventType::ContactCreated,
        EventType::ContactUpdated,
        EventType::ContactCallReceived,
        EventType::ChatCreated,
        EventType::ChatParticipantsChanged,
        EventType::ChatUpdated,
        EventType::ChatPresenceUpdated,
        EventType::SessionStarted,
        EventType::SessionEnded,
        EventType::SessionReopened,
        EventType::SessionAssigned,
        EventType::SessionMetricsCalculated,
        EventType::MessageGroupCompleted,
        EventType::MessageGroupSuperseded,
        EventType::MessageReceived,
        EventType::MessageSent,
        EventType::MessageStatusChanged,
        EventType::MessageDeleted,
        EventType::MessageEdited,
        EventType::MessageReactionChanged,
        EventType::PollVoteReceived,
        EventType::ChannelUpdated,
        EventType::ChannelDeleted,
        EventType::ContactDeleted,
        EventType::NoteAdded,
        EventType::NoteDeleted,
        EventType::UserCreated,
        EventType::UserDisabled,
        EventType::AgentCreated,
        EventType::AgentUpdated,
        EventType::ApiKeyCreated,
        EventType::ApiKeyRevoked,
        EventType::ProjectCreated,
        EventType::PipelineCreated,
        EventType::PipelineUpdated,
        EventType::ChannelActivated,
        EventType::ChannelDeactivated,
        EventType::MessageQueued,
        EventType::MessageConfirmed,
        EventType::MessageFailed,
        EventType::MessageMediaStored,
        EventType::ContactProfilePictureUpdated,
        EventType::MediaUploaded,
        EventType::ContactMerged,
        EventType::WebhookCreated,
        EventType::WebhookUpdated,
        EventType::WebhookDeleted,
        EventType::WebhookDisabled,
        EventType::WebhookTest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventType::TenantCreated => "tenant.created",
            EventType::ChannelCreated => "channel.created",
            EventType::ChannelStatusChanged => "channel.status_changed",
            EventType::ContactCreated => "contact.created",
            EventType::ContactUpdated => "contact.updated",
            EventType::ContactCallReceived => "contact.call_received",
            EventType::ChatCreated => "chat.created",
            EventType::ChatParticipantsChanged => "chat.participants_changed",
            EventType::ChatUpdated => "chat.updated",
            EventType::ChatPresenceUpdated => "chat.presence_updated",
            EventType::SessionStarted => "session.started",
            EventType::SessionEnded => "session.ended",
            EventType::SessionReopened => "session.reopened",
            EventType::SessionAssigned => "session.assigned",
            EventType::SessionMetricsCalculated => "session.metrics_calculated",
            EventType::MessageGroupCompleted => "message_group.completed",
            EventType::MessageGroupSuperseded => "message_group.superseded",
            EventType::MessageReceived => "message.received",
            EventType::MessageSent => "message.sent",
            EventType::MessageStatusChanged => "message.status_changed",
            EventType::MessageDeleted => "message.deleted",
            EventType::MessageEdited => "message.edited",
            EventType::MessageReactionChanged => "message.reaction_changed",
            EventType::PollVoteReceived => "poll.vote_received",
            EventType::ChannelUpdated => "channel.updated",
            EventType::ChannelDeleted => "channel.deleted",
            EventType::ContactDeleted => "contact.deleted",
            EventType::NoteAdded => "note.added",
            EventType::NoteDeleted => "note.deleted",
            EventType::UserCreated => "user.created",
            EventType::UserDisabled => "user.disabled",
            EventType::AgentCreated => "agent.created",
            EventType::AgentUpdated => "agent.updated",
            EventType::ApiKeyCreated => "api_key.created",
            EventType::ApiKeyRevoked => "api_key.revoked",
            EventType::ProjectCreated => "project.created",
            EventType::PipelineCreated => "pipeline.created",
            EventType::PipelineUpdated => "pipeline.updated",
            EventType::ChannelActivated => "channel.activated",
            EventType::ChannelDeactivated => "channel.deactivated",
            EventType::MessageQueued => "message.queued",
            EventType::MessageConfirmed => "message.confirmed",
            EventType::MessageFailed => "message.failed",
            EventType::MessageMediaStored => "message.media_stored",
            EventType::ContactProfilePictureUpdated => "contact.profile_picture_updated",
            EventType::MediaUploaded => "media.uploaded",
            EventType::ContactMerged => "contact.merged",
            EventType::WebhookCreated => "webhook.created",
            EventType::WebhookUpdated => "webhook.updated",
            EventType::WebhookDeleted => "webhook.deleted",
            EventType::WebhookDisabled => "webhook.disabled",
            EventType::WebhookTest => "webhook.test",
        }
    }

    pub fn parse(s: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Payload version; bumped only on an incompatible payload change.
    pub fn version(self) -> i32 {
        1
    }

    pub fn aggregate_type(self) -> &'static str {
        match self {
            EventType::TenantCreated => "tenant",
            EventType::ChannelCreated | EventType::ChannelStatusChanged => "channel",
            EventType::ContactCreated
            | EventType::ContactUpdated
            | EventType::ContactCallReceived => "contact",
            EventType::ChatCreated
            | EventType::ChatParticipantsChanged
            | EventType::ChatUpdated
            | EventType::ChatPresenceUpdated => "chat",
            EventType::SessionStarted
            | EventType::SessionEnded
            | EventType::SessionReopened
            | EventType::SessionAssigned
            | EventType::SessionMetricsCalculated => "session",
            EventType::MessageGroupCompleted | EventType::MessageGroupSuperseded => "message_group",
            EventType::MessageReceived
            | EventType::MessageSent
            | EventType::MessageStatusChanged
            | EventType::MessageDeleted
            | EventType::MessageEdited
            | EventType::MessageReactionChanged
            | EventType::PollVoteReceived
            | EventType::MessageQueued
            | EventType::MessageConfirmed
            | EventType::MessageFailed
            | EventType::MessageMediaStored => "message",
            EventType::ChannelUpdated
            | EventType::ChannelDeleted
            | EventType::ChannelActivated
            | EventType::ChannelDeactivated => "channel",
            EventType::ContactDeleted
            | EventType::ContactProfilePictureUpdated
            | EventType::ContactMerged => "contact",
            EventType::MediaUploaded => "media",
            EventType::NoteAdded | EventType::NoteDeleted => "note",
            EventType::UserCreated | EventType::UserDisabled => "user",
            EventType::AgentCreated | EventType::AgentUpdated => "agent",
            EventType::ApiKeyCreated | EventType::ApiKeyRevoked => "api_key",
            EventType::ProjectCreated => "project",
            EventType::PipelineCreated | EventType::PipelineUpdated => "pipeline",
            EventType::WebhookCreated
            | EventType::WebhookUpdated
            | EventType::WebhookDeleted
            | EventType::WebhookDisabled
            | EventType::WebhookTest => "webhook",
        }
    }
}

/// The envelope every event travels in, on every transport.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EventEnvelope {
    pub id: EventId,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: i32,
    pub occurred_at: DateTime<Utc>,
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub source: String,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
    pub aggregate_type: String,
    pub aggregate_id: Uuid,
    pub payload: serde_json::Value,
}

/// Where an event came from and what caused it, shared by all events of one request.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventContext {
    pub source: String,
    pub correlation_id: Option<String>,
    pub causation_id: Option<String>,
}

impl EventEnvelope {
    pub fn new(
        ctx: &EventContext,
        tenant_id: TenantId,
        project_id: ProjectId,
        event_type: EventType,
        aggregate_id: Uuid,
        occurred_at: DateTime<Utc>,
        payload: serde_json::Value,
    ) -> Self {
        EventEnvelope {
            id: EventId::new(),
            event_type: event_type.as_str().to_string(),
            version: event_type.version(),
            occurred_at,
            tenant_id,
            project_id,
            source: ctx.source.clone(),
            correlation_id: ctx.correlation_id.clone(),
            causation_id: ctx.causation_id.clone(),
            aggregate_type: event_type.aggregate_type().to_string(),
            aggregate_id,
            payload,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_is_documented() {
        let doc = include_str!("../../../docs/EVENTS.md");
        for t in EventType::ALL {
            assert!(
                doc.contains(&format!("| `{}` |", t.as_str())),
                "{} missing from docs/EVENTS.md",
                t.as_str()
            );
        }
    }

    #[test]
    fn names_roundtrip_and_match_serde() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(t));
            assert_eq!(
                serde_json::to_value(t).ok(),
                Some(serde_json::json!(t.as_str()))
            );
        }
    }
}
