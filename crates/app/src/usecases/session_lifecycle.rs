//! Agents close, reopen, assign and transfer sessions. Every assignment interval is kept
//! (who, from, to, when), so figures can be credited to whoever was on duty at the time.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{
    AccessStore, ChannelStore, Clock, ConversationStore, CrmStore, PipelineStore, SessionStore,
};
use crate::usecases::events::{ended_payload, session_payload};
use crate::usecases::pipelines::session_timeout_for;
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::ids::{AgentId, AssignmentId, SessionId};
use ventros_domain::job::{SessionMetricsJob, SessionTimeout};
use ventros_domain::rbac::Permission;
use ventros_domain::session::{Assignment, Session, SessionStatus, validate_close_reason};

async fn session(
    store: &(impl ConversationStore + ?Sized),
    actor: &Actor,
    id: SessionId,
) -> AppResult<Session> {
    actor.require(Permission::SessionsUpdate)?;
    store
        .get_session(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("session"))
}

fn not_active() -> AppError {
    AppError::Unprocessable {
        code: "session_not_active",
        message: "the session has ended; reopen it first".into(),
    }
}

pub async fn close_session(
    store: &(impl SessionStore + ConversationStore + ?Sized),
    clock: &dyn Clock,
    actor: &Actor,
    id: SessionId,
    reason: &str,
) -> AppResult<Session> {
    let reason = validate_close_reason(reason)?;
    let s = session(store, actor, id).await?;
    if s.status != SessionStatus::Active {
        return Err(not_active());
    }
    let now = clock.now();
    let mut payload = ended_payload(&s, now, &reason);
    payload["closed_by"] = json!(actor.id());
    let event = actor.event(EventType::SessionEnded, s.id.0, now, payload);
    if !store
        .close_session(
            actor.scope,
            id,
            now,
            &reason,
            &event,
            &SessionMetricsJob::job(&s, now),
        )
        .await?
    {
        return Err(not_active());
    }
    session(store, actor, id).await
}

pub async fn reopen_session(
    store: &(impl SessionStore + ConversationStore + ChannelStore + CrmStore + PipelineStore + ?Sized),
    clock: &dyn Clock,
    actor: &Actor,
    id: SessionId,
) -> AppResult<Session> {
    let s = session(store, actor, id).await?;
    if s.status == SessionStatus::Active {
        return Err(AppError::Unprocessable {
            code: "session_active",
            message: "the session is active already".into(),
        });
    }
    let channel =
        store
            .get_channel(actor.scope, s.channel_id)
            .await?
            .ok_or(AppError::Unprocessable {
                code: "channel_deleted",
                message: "the session's channel was deleted".into(),
            })?;
    let now = clock.now();
    let timeout = session_timeout_for(store, actor.scope, &channel, s.contact_id).await?;
    let timer = SessionTimeout::job_since(&s, timeout, Some(now), now);
    let assignment = s.agent_id.map(|a| Assignment {
        id: AssignmentId::new(),
        tenant_id: s.tenant_id,
        project_id: s.project_id,
        session_id: s.id,
        agent_id: Some(a),
        from_agent_id: Some(a),
        kind: "reopen".into(),
        note: None,
        by: actor.id(),
        started_at: now,
        ended_at: None,
    });
    let mut payload = session_payload(&s);
    payload["reopened_at"] = json!(now);
    payload["reopened_by"] = json!(actor.id());
    payload["agent_id"] = json!(s.agent_id);
    let event = actor.event(EventType::SessionReopened, s.id.0, now, payload);
    let reopened = store
        .reopen_session(actor.scope, id, &timer, assignment.as_ref(), &event)
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => AppError::conflict(
                "chat_has_active_session",
                "the chat has another active session",
            ),
            other => other,
        })?;
    if !reopened {
        return Err(AppError::conflict(
            "session_changed",
            "the session changed meanwhile; read it again",
        ));
    }
    session(store, actor, id).await
}

/// How a change of agent is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// Assign (or, with no agent, unassign) whoever holds it now.
    Assign,
    /// Hand a session held by an agent to another one, with a note.
    Transfer,
}

pub async fn assign_session(
    store: &(impl SessionStore + ConversationStore + AccessStore + ?Sized),
    clock: &dyn Clock,
    actor: &Actor,
    id: SessionId,
    to: Option<AgentId>,
    note: Option<String>,
    how: Handover,
) -> AppResult<Session> {
    let note = note.map(|n| n.trim().to_string()).filter(|n| !n.is_empty());
    if note.as_ref().is_some_and(|n| n.chars().count() > 2000) {
        return Err(AppError::validation("note", "at most 2000 characters"));
    }
    let s = session(store, actor, id).await?;
    if s.status != SessionStatus::Active {
        return Err(not_active());
    }
    let field = if how == Handover::Transfer {
        "to_agent_id"
    } else {
        "agent_id"
    };
    if let Some(a) = to {
        let agent = store
            .get_agent(actor.scope, a)
            .await?
            .ok_or_else(|| AppError::validation(field, "no such agent in this project"))?;
        if !agent.active {
            return Err(AppError::validation(field, "the agent is inactive"));
        }
    }
    if how == Handover::Transfer && s.agent_id.is_none() {
        return Err(AppError::Unprocessable {
            code: "session_unassigned",
            message: "nobody holds this session; assign it instead".into(),
        });
    }
    if s.agent_id == to {
        return Ok(s);
    }
    let now = clock.now();
    let kind = match (how, to) {
        (Handover::Transfer, _) => "transfer",
        (Handover::Assign, Some(_)) => "assign",
        (Handover::Assign, None) => "unassign",
    };
    let next = Assignment {
        id: AssignmentId::new(),
        tenant_id: s.tenant_id,
        project_id: s.project_id,
        session_id: s.id,
        agent_id: to,
        from_agent_id: s.agent_id,
        kind: kind.into(),
        note,
        by: actor.id(),
        started_at: now,
        ended_at: None,
    };
    let event = actor.event(
        EventType::SessionAssigned,
        s.id.0,
        now,
        json!({"session_id": s.id, "chat_id": s.chat_id, "contact_id": s.contact_id,
               "kind": kind, "from_agent_id": s.agent_id, "to_agent_id": to,
               "note": next.note, "by": next.by, "at": now}),
    );
    if !store
        .assign_session(actor.scope, s.agent_id, &next, &event)
        .await?
    {
        return Err(AppError::conflict(
            "assignment_changed",
            "someone changed this session's assignment meanwhile; read it again",
        ));
    }
    session(store, actor, id).await
}

pub async fn list_assignments(
    store: &(impl SessionStore + ConversationStore + ?Sized),
    actor: &Actor,
    id: SessionId,
) -> AppResult<Vec<Assignment>> {
    actor.require(Permission::SessionsRead)?;
    if store.get_session(actor.scope, id).await?.is_none() {
        return Err(AppError::NotFound("session"));
    }
    store.list_assignments(actor.scope, id).await
}
