//! Pipelines of a project, and the session timeout their contacts' sessions obey.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, CrmStore, IngestTx, PipelineStore};
use serde_json::json;
use ventros_domain::channel::Channel;
use ventros_domain::event::EventType;
use ventros_domain::ids::{ContactId, PipelineId};
use ventros_domain::pipeline::{Pipeline, effective_session_timeout, validate_timeout_override};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::{Scope, validate_name};

fn payload(p: &Pipeline) -> serde_json::Value {
    json!({
        "pipeline_id": p.id,
        "name": p.name,
        "session_timeout_seconds": p.session_timeout_seconds,
    })
}

pub async fn create_pipeline(
    store: &dyn PipelineStore,
    clock: &dyn Clock,
    actor: &Actor,
    name: &str,
    session_timeout_seconds: Option<i64>,
) -> AppResult<Pipeline> {
    actor.require(Permission::PipelinesManage)?;
    let now = clock.now();
    let p = Pipeline {
        id: PipelineId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        name: validate_name("name", name)?,
        session_timeout_seconds: validate_timeout_override(session_timeout_seconds)?,
        created_at: now,
        updated_at: now,
    };
    let event = actor.event(EventType::PipelineCreated, p.id.0, now, payload(&p));
    store.insert_pipeline(&p, &event).await?;
    Ok(p)
}

pub async fn get_pipeline(
    store: &dyn PipelineStore,
    actor: &Actor,
    id: PipelineId,
) -> AppResult<Pipeline> {
    actor.require(Permission::PipelinesRead)?;
    store
        .get_pipeline(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("pipeline"))
}

pub async fn list_pipelines(
    store: &dyn PipelineStore,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<Pipeline>> {
    actor.require(Permission::PipelinesRead)?;
    store.list_pipelines(actor.scope, page).await
}

/// `session_timeout_seconds`: `None` keeps it, `Some(None)` removes the override.
pub async fn update_pipeline(
    store: &dyn PipelineStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: PipelineId,
    name: Option<&str>,
    session_timeout_seconds: Option<Option<i64>>,
) -> AppResult<Pipeline> {
    actor.require(Permission::PipelinesManage)?;
    let name = name.map(|n| validate_name("name", n)).transpose()?;
    let timeout = session_timeout_seconds
        .map(validate_timeout_override)
        .transpose()?;
    let mut p = get_pipeline(store, actor, id).await?;
    let mut changed = Vec::new();
    if let Some(n) = name.filter(|n| *n != p.name) {
        p.name = n;
        changed.push("name");
    }
    if let Some(t) = timeout.filter(|t| *t != p.session_timeout_seconds) {
        p.session_timeout_seconds = t;
        changed.push("session_timeout_seconds");
    }
    if changed.is_empty() {
        return Ok(p);
    }
    let now = clock.now();
    p.updated_at = now;
    let mut body = payload(&p);
    body["changed"] = json!(changed);
    let event = actor.event(EventType::PipelineUpdated, p.id.0, now, body);
    store.update_pipeline(&p, &event).await?;
    Ok(p)
}

/// A contact may only be put in a pipeline of its own project.
pub(crate) async fn check_pipeline(
    store: &(impl PipelineStore + ?Sized),
    scope: Scope,
    id: Option<PipelineId>,
) -> AppResult<()> {
    match id {
        Some(id) if store.get_pipeline(scope, id).await?.is_none() => Err(AppError::validation(
            "pipeline_id",
            "no such pipeline in this project",
        )),
        _ => Ok(()),
    }
}

/// The inactivity timeout of a session of `contact` on `channel`, outside a transaction.
pub(crate) async fn session_timeout_for(
    store: &(impl CrmStore + PipelineStore + ?Sized),
    scope: Scope,
    channel: &Channel,
    contact: Option<ContactId>,
) -> AppResult<i64> {
    let pipeline = match contact {
        Some(c) => store
            .get_contact(scope, c)
            .await?
            .and_then(|c| c.pipeline_id),
        None => None,
    };
    let over = match pipeline {
        Some(p) => store
            .get_pipeline(scope, p)
            .await?
            .and_then(|p| p.session_timeout_seconds),
        None => None,
    };
    Ok(effective_session_timeout(
        channel.session_timeout_seconds,
        over,
    ))
}

/// The same inside an ingest transaction, for a contact already read in it.
pub(crate) async fn session_timeout_in(
    tx: &mut dyn IngestTx,
    channel_seconds: i64,
    pipeline: Option<PipelineId>,
) -> AppResult<i64> {
    let over = match pipeline {
        Some(p) => tx.pipeline_session_timeout(p).await?,
        None => None,
    };
    Ok(effective_session_timeout(channel_seconds, over))
}
