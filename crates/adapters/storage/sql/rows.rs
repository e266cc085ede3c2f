//! Column lists and row ↔ domain mapping, for both backends.

use crate::dialect::DbRow;
use crate::sql::{R, Ts};
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::types::Json;
use uuid::Uuid;
use ventros_app::ports::{ApiKeyPrincipal, MessageRef, OutboxRow, WebhookChannel};
use ventros_domain::agent::{Agent, AgentKind};
use ventros_domain::channel::{Channel, ImportStrategy};
use ventros_domain::chat::{Chat, ChatKind};
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::ChannelId;
use ventros_domain::job::{Job, JobStatus};
use ventros_domain::message::{ContentType, DeliveryStatus, Direction, Message, SenderKind};
use ventros_domain::message_group::{GroupStatus, MessageGroup};
use ventros_domain::note::Note;
use ventros_domain::phone::Phone;
use ventros_domain::pipeline::Pipeline;
use ventros_domain::secret::Secret;
use ventros_domain::session::{Assignment, Session, SessionStatus};
use ventros_domain::tenancy::{ApiKey, Project, Role, Scope, User};
use ventros_domain::timeline::ContactEvent;

pub(crate) fn decode_err(col: &str, e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::ColumnDecode {
        index: col.into(),
        source: e.to_string().into(),
    }
}

pub fn at(r: &DbRow, col: &str) -> R<DateTime<Utc>> {
    Ok(r.try_get::<Ts, _>(col)?.0)
}

pub fn opt_at(r: &DbRow, col: &str) -> R<Option<DateTime<Utc>>> {
    Ok(r.try_get::<Option<Ts>, _>(col)?.map(|t| t.0))
}

pub fn json<T: serde::de::DeserializeOwned>(r: &DbRow, col: &str) -> R<T> {
    Ok(r.try_get::<Json<T>, _>(col)?.0)
}

fn opt_json<T: serde::de::DeserializeOwned>(r: &DbRow, col: &str) -> R<Option<T>> {
    Ok(r.try_get::<Option<Json<T>>, _>(col)?.map(|j| j.0))
}

/// Enum stored as its serde snake_case name.
fn enum_col<T: serde::de::DeserializeOwned>(r: &DbRow, col: &str) -> R<T> {
    let s: String = r.try_get(col)?;
    serde_json::from_value(serde_json::Value::String(s)).map_err(|e| decode_err(col, e))
}

pub fn enum_str<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

pub const CHANNEL_COLS: &str = "id, tenant_id, project_id, name, waha_base_url, waha_api_key, waha_session, webhook_hmac_key, status, debounce_timeout_ms, session_timeout_seconds, message_group_max_age_ms, import_strategy, created_at, updated_at, deleted_at, activated_at, confirm_timeout_seconds, max_messages_per_minute, human_pacing";

pub fn channel(r: &DbRow) -> R<Channel> {
    let strategy: String = r.try_get("import_strategy")?;
    Ok(Channel {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        name: r.try_get("name")?,
        waha_base_url: r.try_get("waha_base_url")?,
        waha_api_key: Secret::new(r.try_get::<String, _>("waha_api_key")?),
        waha_session: r.try_get("waha_session")?,
        webhook_hmac_key: r
            .try_get::<Option<String>, _>("webhook_hmac_key")?
            .map(Secret::new),
        status: r.try_get("status")?,
        debounce_timeout_ms: r.try_get("debounce_timeout_ms")?,
        session_timeout_seconds: r.try_get("session_timeout_seconds")?,
        message_group_max_age_ms: r.try_get("message_group_max_age_ms")?,
        import_strategy: ImportStrategy::parse(&strategy)
            .map_err(|e| decode_err("import_strategy", e))?,
        activated_at: opt_at(r, "activated_at")?,
        confirm_timeout_seconds: r.try_get("confirm_timeout_seconds")?,
        max_messages_per_minute: r.try_get("max_messages_per_minute")?,
        human_pacing: r.try_get("human_pacing")?,
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
        deleted_at: opt_at(r, "deleted_at")?,
    })
}

pub const CONTACT_COLS: &str = "id, tenant_id, project_id, phone, wa_id, lid, name, push_name, email, profile_picture_url, tags, custom_fields, pipeline_id, created_at, updated_at";

pub fn contact(r: &DbRow) -> R<Contact> {
    let phone: Option<String> = r.try_get("phone")?;
    Ok(Contact {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        phone: phone
            .map(|p| Phone::parse(&p))
            .transpose()
            .map_err(|e| decode_err("phone", e))?,
        wa_id: r.try_get("wa_id")?,
        lid: r.try_get("lid")?,
        name: r.try_get("name")?,
        push_name: r.try_get("push_name")?,
        email: r.try_get("email")?,
        profile_picture_url: r.try_get("profile_picture_url")?,
        tags: json(r, "tags")?,
        custom_fields: json(r, "custom_fields")?,
        pipeline_id: r.try_get::<Option<Uuid>, _>("pipeline_id")?.map(Into::into),
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
    })
}

pub const CHAT_COLS: &str = "id, tenant_id, project_id, channel_id, wa_chat_id, kind, contact_id, subject, last_message_at, created_at";

pub fn chat(r: &DbRow) -> R<Chat> {
    let kind: String = r.try_get("kind")?;
    Ok(Chat {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        channel_id: r.try_get::<Uuid, _>("channel_id")?.into(),
        wa_chat_id: r.try_get("wa_chat_id")?,
        kind: ChatKind::parse(&kind).ok_or_else(|| decode_err("kind", kind.clone()))?,
        contact_id: r.try_get::<Option<Uuid>, _>("contact_id")?.map(Into::into),
        subject: r.try_get("subject")?,
        last_message_at: opt_at(r, "last_message_at")?,
        created_at: at(r, "created_at")?,
    })
}

pub const SESSION_COLS: &str = "id, tenant_id, project_id, channel_id, chat_id, contact_id, status, started_at, ended_at, end_reason, first_contact_message_at, first_agent_message_at, last_message_at, contact_messages, agent_messages, system_messages, agent_id, last_contact_message_at, last_agent_message_at, agent_first_response_seconds, contact_first_response_seconds, first_response_agent_id, metrics";

pub fn session(r: &DbRow) -> R<Session> {
    let status: String = r.try_get("status")?;
    Ok(Session {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        channel_id: r.try_get::<Uuid, _>("channel_id")?.into(),
        chat_id: r.try_get::<Uuid, _>("chat_id")?.into(),
        contact_id: r.try_get::<Option<Uuid>, _>("contact_id")?.map(Into::into),
        status: SessionStatus::parse(&status)
            .ok_or_else(|| decode_err("status", status.clone()))?,
        started_at: at(r, "started_at")?,
        ended_at: opt_at(r, "ended_at")?,
        end_reason: r.try_get("end_reason")?,
        first_contact_message_at: opt_at(r, "first_contact_message_at")?,
        first_agent_message_at: opt_at(r, "first_agent_message_at")?,
        last_message_at: opt_at(r, "last_message_at")?,
        contact_messages: r.try_get("contact_messages")?,
        agent_messages: r.try_get("agent_messages")?,
        system_messages: r.try_get("system_messages")?,
        agent_id: r.try_get::<Option<Uuid>, _>("agent_id")?.map(Into::into),
        last_contact_message_at: opt_at(r, "last_contact_message_at")?,
        last_agent_message_at: opt_at(r, "last_agent_message_at")?,
        agent_first_response_seconds: r.try_get("agent_first_response_seconds")?,
        contact_first_response_seconds: r.try_get("contact_first_response_seconds")?,
        first_response_agent_id: r
            .try_get::<Option<Uuid>, _>("first_response_agent_id")?
            .map(Into::into),
        metrics: opt_json(r, "metrics")?,
    })
}

pub const MESSAGE_COLS: &str = "id, tenant_id, project_id, channel_id, chat_id, session_id, contact_id, direction, sender_kind, sender_wa_id, content_type, body, media, location, vcards, reply_to, reply_to_message_id, status, provider_id, from_me, raw_id, imported, sent_at, created_at, edited_at, deleted_at, reactions, agent_id, confirmed_at, failure";

pub fn message(r: &DbRow) -> R<Message> {
    Ok(Message {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        channel_id: r.try_get::<Uuid, _>("channel_id")?.into(),
        chat_id: r.try_get::<Uuid, _>("chat_id")?.into(),
        session_id: r.try_get::<Uuid, _>("session_id")?.into(),
        contact_id: r.try_get::<Option<Uuid>, _>("contact_id")?.map(Into::into),
        direction: enum_col::<Direction>(r, "direction")?,
        sender_kind: enum_col::<SenderKind>(r, "sender_kind")?,
        sender_wa_id: r.try_get("sender_wa_id")?,
        content_type: enum_col::<ContentType>(r, "content_type")?,
        body: r.try_get("body")?,
        media: opt_json(r, "media")?,
        location: opt_json(r, "location")?,
        vcards: json(r, "vcards")?,
        reply_to: r.try_get("reply_to")?,
        reply_to_message_id: r
            .try_get::<Option<Uuid>, _>("reply_to_message_id")?
            .map(Into::into),
        status: delivery_status(r)?,
        provider_id: r.try_get("provider_id")?,
        from_me: r.try_get("from_me")?,
        raw_id: r.try_get("raw_id")?,
        imported: r.try_get("imported")?,
        sent_at: at(r, "sent_at")?,
        created_at: at(r, "created_at")?,
        edited_at: opt_at(r, "edited_at")?,
        deleted_at: opt_at(r, "deleted_at")?,
        reactions: json(r, "reactions")?,
        agent_id: r.try_get::<Option<Uuid>, _>("agent_id")?.map(Into::into),
        confirmed_at: opt_at(r, "confirmed_at")?,
        failure: opt_json(r, "failure")?,
    })
}

pub const CONTACT_EVENT_COLS: &str = "id, tenant_id, project_id, contact_id, event_type, category, summary, payload, source_event_id, occurred_at";

pub fn contact_event(r: &DbRow) -> R<ContactEvent> {
    Ok(ContactEvent {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        contact_id: r.try_get::<Uuid, _>("contact_id")?.into(),
        event_type: r.try_get("event_type")?,
        category: r.try_get("category")?,
        summary: r.try_get("summary")?,
        payload: json(r, "payload")?,
        source_event_id: r.try_get::<Uuid, _>("source_event_id")?.into(),
        occurred_at: at(r, "occurred_at")?,
    })
}

pub const EVENT_COLS: &str = "seq, id, tenant_id, project_id, event_type, version, occurred_at, source, correlation_id, causation_id, aggregate_type, aggregate_id, payload, created_at, attempts";

pub fn envelope(r: &DbRow) -> R<EventEnvelope> {
    Ok(EventEnvelope {
        id: r.try_get::<Uuid, _>("id")?.into(),
        event_type: r.try_get("event_type")?,
        version: r.try_get("version")?,
        occurred_at: at(r, "occurred_at")?,
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        source: r.try_get("source")?,
        correlation_id: r.try_get("correlation_id")?,
        causation_id: r.try_get("causation_id")?,
        aggregate_type: r.try_get("aggregate_type")?,
        aggregate_id: r.try_get("aggregate_id")?,
        payload: json(r, "payload")?,
    })
}

pub const USER_COLS: &str =
    "id, tenant_id, email, name, password_hash, role, created_at, disabled_at";

pub fn user(r: &DbRow) -> R<User> {
    let role: String = r.try_get("role")?;
    Ok(User {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        email: r.try_get("email")?,
        name: r.try_get("name")?,
        password_hash: r.try_get("password_hash")?,
        role: Role::parse(&role).map_err(|e| decode_err("role", e))?,
        created_at: at(r, "created_at")?,
        disabled_at: opt_at(r, "disabled_at")?,
    })
}

pub const API_KEY_COLS: &str =
    "id, tenant_id, project_id, name, prefix, key_hash, role, created_at, revoked_at";

pub fn api_key(r: &DbRow) -> R<ApiKey> {
    let role: String = r.try_get("role")?;
    Ok(ApiKey {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        name: r.try_get("name")?,
        prefix: r.try_get("prefix")?,
        key_hash: r.try_get("key_hash")?,
        role: Role::parse(&role).map_err(|e| decode_err("role", e))?,
        created_at: at(r, "created_at")?,
        revoked_at: opt_at(r, "revoked_at")?,
    })
}

pub const PROJECT_COLS: &str = "id, tenant_id, name, created_at";

pub fn project(r: &DbRow) -> R<Project> {
    Ok(Project {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        name: r.try_get("name")?,
        created_at: at(r, "created_at")?,
    })
}

pub const AGENT_COLS: &str =
    "id, tenant_id, project_id, kind, name, user_id, api_key_id, active, created_at, updated_at";

pub fn agent(r: &DbRow) -> R<Agent> {
    let kind: String = r.try_get("kind")?;
    Ok(Agent {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        kind: AgentKind::parse(&kind).map_err(|e| decode_err("kind", e))?,
        name: r.try_get("name")?,
        user_id: r.try_get::<Option<Uuid>, _>("user_id")?.map(Into::into),
        api_key_id: r.try_get::<Option<Uuid>, _>("api_key_id")?.map(Into::into),
        active: r.try_get("active")?,
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
    })
}

pub const PIPELINE_COLS: &str =
    "id, tenant_id, project_id, name, session_timeout_seconds, created_at, updated_at";

pub fn pipeline(r: &DbRow) -> R<Pipeline> {
    Ok(Pipeline {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        name: r.try_get("name")?,
        session_timeout_seconds: r.try_get("session_timeout_seconds")?,
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
    })
}

pub const NOTE_COLS: &str =
    "id, tenant_id, project_id, contact_id, session_id, body, author, created_at";

pub fn note(r: &DbRow) -> R<Note> {
    Ok(Note {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        contact_id: r.try_get::<Uuid, _>("contact_id")?.into(),
        session_id: r.try_get::<Option<Uuid>, _>("session_id")?.map(Into::into),
        body: r.try_get("body")?,
        author: r.try_get("author")?,
        created_at: at(r, "created_at")?,
    })
}

pub const JOB_COLS: &str = "id, tenant_id, project_id, kind, key, payload, run_at, attempts, max_attempts, status, last_error, created_at, updated_at";

pub fn job(r: &DbRow) -> R<Job> {
    let status: String = r.try_get("status")?;
    Ok(Job {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        kind: r.try_get("kind")?,
        key: r.try_get("key")?,
        payload: json(r, "payload")?,
        run_at: at(r, "run_at")?,
        attempts: r.try_get("attempts")?,
        max_attempts: r.try_get("max_attempts")?,
        status: JobStatus::parse(&status).ok_or_else(|| decode_err("status", status.clone()))?,
        last_error: r.try_get("last_error")?,
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
    })
}

pub const ASSIGNMENT_COLS: &str = "id, tenant_id, project_id, session_id, agent_id, from_agent_id, kind, note, assigned_by, started_at, ended_at";

pub fn assignment(r: &DbRow) -> R<Assignment> {
    Ok(Assignment {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        session_id: r.try_get::<Uuid, _>("session_id")?.into(),
        agent_id: r.try_get::<Option<Uuid>, _>("agent_id")?.map(Into::into),
        from_agent_id: r
            .try_get::<Option<Uuid>, _>("from_agent_id")?
            .map(Into::into),
        kind: r.try_get("kind")?,
        note: r.try_get("note")?,
        by: r.try_get("assigned_by")?,
        started_at: at(r, "started_at")?,
        ended_at: opt_at(r, "ended_at")?,
    })
}

pub const MESSAGE_GROUP_COLS: &str = "id, tenant_id, project_id, channel_id, chat_id, session_id, status, message_ids, opened_at, last_message_at, debounce_ms, max_age_ms, closed_at";

pub fn message_group(r: &DbRow) -> R<MessageGroup> {
    let status: String = r.try_get("status")?;
    Ok(MessageGroup {
        id: r.try_get::<Uuid, _>("id")?.into(),
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        channel_id: r.try_get::<Uuid, _>("channel_id")?.into(),
        chat_id: r.try_get::<Uuid, _>("chat_id")?.into(),
        session_id: r.try_get::<Uuid, _>("session_id")?.into(),
        status: GroupStatus::parse(&status).ok_or_else(|| decode_err("status", status.clone()))?,
        message_ids: json(r, "message_ids")?,
        opened_at: at(r, "opened_at")?,
        last_message_at: at(r, "last_message_at")?,
        debounce_ms: r.try_get("debounce_ms")?,
        max_age_ms: r.try_get("max_age_ms")?,
        closed_at: opt_at(r, "closed_at")?,
    })
}

fn delivery_status(r: &DbRow) -> R<DeliveryStatus> {
    DeliveryStatus::from_rank(i64::from(r.try_get::<i16, _>("status")?))
        .map_err(|e| decode_err("status", e))
}

/// The tenant and project columns of a row.
pub fn scope(r: &DbRow) -> R<Scope> {
    Ok(Scope {
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
    })
}

pub const MESSAGE_REF_COLS: &str =
    "id, session_id, chat_id, contact_id, from_me, status, body, deleted_at, reactions";

pub fn message_ref(r: &DbRow) -> R<MessageRef> {
    Ok(MessageRef {
        id: r.try_get::<Uuid, _>("id")?.into(),
        session_id: r.try_get::<Uuid, _>("session_id")?.into(),
        chat_id: r.try_get::<Uuid, _>("chat_id")?.into(),
        contact_id: r.try_get::<Option<Uuid>, _>("contact_id")?.map(Into::into),
        from_me: r.try_get("from_me")?,
        status: delivery_status(r)?,
        body: r.try_get("body")?,
        deleted: opt_at(r, "deleted_at")?.is_some(),
        reactions: json(r, "reactions")?,
    })
}

pub const API_KEY_PRINCIPAL_COLS: &str = "id, tenant_id, project_id, role";

pub fn api_key_principal(r: &DbRow) -> R<ApiKeyPrincipal> {
    let role: String = r.try_get("role")?;
    Ok(ApiKeyPrincipal {
        scope: scope(r)?,
        role: Role::parse(&role).map_err(|e| decode_err("role", e))?,
        key_id: r.try_get::<Uuid, _>("id")?.into(),
    })
}

pub const WEBHOOK_CHANNEL_COLS: &str = "tenant_id, project_id, webhook_hmac_key, session_timeout_seconds, debounce_timeout_ms, message_group_max_age_ms";

pub fn webhook_channel(r: &DbRow, id: ChannelId) -> R<WebhookChannel> {
    Ok(WebhookChannel {
        scope: scope(r)?,
        channel_id: id,
        hmac_key: r
            .try_get::<Option<String>, _>("webhook_hmac_key")?
            .map(Secret::new),
        session_timeout_seconds: r.try_get("session_timeout_seconds")?,
        debounce_timeout_ms: r.try_get("debounce_timeout_ms")?,
        message_group_max_age_ms: r.try_get("message_group_max_age_ms")?,
    })
}

pub fn outbox_row(r: &DbRow) -> R<OutboxRow> {
    Ok(OutboxRow {
        seq: r.try_get("seq")?,
        envelope: envelope(r)?,
        attempts: r.try_get("attempts")?,
        created_at: at(r, "created_at")?,
    })
}

pub const WEBHOOK_COLS: &str = "id, tenant_id, project_id, url, events, description, enabled, disabled_reason, secret, previous_secret, previous_secret_until, failing_since, created_at, updated_at";

pub fn webhook(r: &DbRow) -> R<ventros_domain::webhook::Subscription> {
    Ok(ventros_domain::webhook::Subscription {
        id: r.try_get("id")?,
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        url: r.try_get("url")?,
        events: json(r, "events")?,
        description: r.try_get("description")?,
        enabled: r.try_get("enabled")?,
        disabled_reason: r.try_get("disabled_reason")?,
        secret: Secret::new(r.try_get::<String, _>("secret")?),
        previous_secret: r
            .try_get::<Option<String>, _>("previous_secret")?
            .map(Secret::new),
        previous_secret_until: opt_at(r, "previous_secret_until")?,
        failing_since: opt_at(r, "failing_since")?,
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
    })
}

pub const DELIVERY_COLS: &str = "id, tenant_id, project_id, subscription_id, event_id, event_type, aggregate_id, occurred_at, status, attempts, next_attempt_at, last_status_code, last_error, created_at, updated_at, delivered_at";

pub fn delivery(r: &DbRow) -> R<ventros_domain::webhook::Delivery> {
    let status: String = r.try_get("status")?;
    Ok(ventros_domain::webhook::Delivery {
        id: r.try_get("id")?,
        tenant_id: r.try_get::<Uuid, _>("tenant_id")?.into(),
        project_id: r.try_get::<Uuid, _>("project_id")?.into(),
        subscription_id: r.try_get("subscription_id")?,
        event_id: r.try_get::<Uuid, _>("event_id")?.into(),
        event_type: r.try_get("event_type")?,
        aggregate_id: r.try_get("aggregate_id")?,
        occurred_at: at(r, "occurred_at")?,
        status: ventros_domain::webhook::DeliveryStatus::parse(&status)
            .ok_or_else(|| decode_err("status", format!("unknown delivery status {status}")))?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: opt_at(r, "next_attempt_at")?,
        last_status_code: r.try_get("last_status_code")?,
        last_error: r.try_get("last_error")?,
        created_at: at(r, "created_at")?,
        updated_at: at(r, "updated_at")?,
        delivered_at: opt_at(r, "delivered_at")?,
    })
}

pub const ATTEMPT_COLS: &str =
    "id, delivery_id, attempted_at, status_code, duration_ms, response_excerpt, error";

pub fn attempt(r: &DbRow) -> R<ventros_domain::webhook::Attempt> {
    Ok(ventros_domain::webhook::Attempt {
        id: r.try_get("id")?,
        delivery_id: r.try_get("delivery_id")?,
        attempted_at: at(r, "attempted_at")?,
        status_code: r.try_get("status_code")?,
        duration_ms: r.try_get("duration_ms")?,
        response_excerpt: r.try_get("response_excerpt")?,
        error: r.try_get("error")?,
    })
}
