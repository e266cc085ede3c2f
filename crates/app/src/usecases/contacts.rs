//! Contacts through the API: create, update (null clears), delete, search and bulk tagging.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, ContactFilter, CrmStore, PipelineStore};
use crate::usecases::events::contact_payload;
use crate::usecases::pipelines::check_pipeline;
use serde_json::json;
use std::collections::HashSet;
use ventros_domain::contact::{Contact, ContactPatch, validate_custom_fields, validate_tags};
use ventros_domain::event::EventType;
use ventros_domain::ids::{ContactId, PipelineId};
use ventros_domain::phone::Phone;
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::{validate_email, validate_name};

#[derive(Debug, Clone, Default)]
pub struct CreateContact {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: Option<serde_json::Value>,
    pub pipeline_id: Option<ventros_domain::ids::PipelineId>,
}

fn phone_taken(e: AppError) -> AppError {
    match e {
        AppError::Conflict { .. } => AppError::conflict(
            "contact_phone_taken",
            "a contact with this phone exists in this tenant",
        ),
        other => other,
    }
}

pub async fn create_contact(
    store: &(impl CrmStore + PipelineStore + ?Sized),
    clock: &dyn Clock,
    actor: &Actor,
    cmd: CreateContact,
) -> AppResult<Contact> {
    actor.require(Permission::ContactsCreate)?;
    let now = clock.now();
    let phone = Phone::parse(&cmd.phone)?;
    let custom_fields = cmd.custom_fields.unwrap_or_else(|| json!({}));
    validate_custom_fields(&custom_fields)?;
    check_pipeline(store, actor.scope, cmd.pipeline_id).await?;
    let c = Contact {
        id: ContactId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        wa_id: Some(format!("{}@c.us", phone.digits())),
        phone: Some(phone),
        lid: None,
        name: Some(validate_name("name", &cmd.name)?),
        push_name: None,
        email: cmd.email.as_deref().map(validate_email).transpose()?,
        profile_picture_url: None,
        tags: validate_tags(&cmd.tags)?,
        custom_fields,
        pipeline_id: cmd.pipeline_id,
        created_at: now,
        updated_at: now,
    };
    let event = actor.event(EventType::ContactCreated, c.id.0, now, contact_payload(&c));
    store
        .insert_contact(&c, &event)
        .await
        .map_err(phone_taken)?;
    Ok(c)
}

pub async fn get_contact(
    store: &(impl CrmStore + ?Sized),
    actor: &Actor,
    id: ContactId,
) -> AppResult<Contact> {
    actor.require(Permission::ContactsRead)?;
    store
        .get_contact(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("contact"))
}

/// Contacts are the tenant's (one per phone, whichever project's channel met them first);
/// a pipeline filter must name one of the caller's project.
pub async fn list_contacts(
    store: &(impl CrmStore + PipelineStore + ?Sized),
    actor: &Actor,
    f: &ContactFilter,
    page: PageRequest,
) -> AppResult<Page<Contact>> {
    actor.require(Permission::ContactsRead)?;
    if f.search.as_ref().is_some_and(|s| s.chars().count() > 100) {
        return Err(AppError::validation("search", "at most 100 characters"));
    }
    check_pipeline(store, actor.scope, f.pipeline_id).await?;
    store.search_contacts(actor.scope.tenant_id, f, page).await
}

/// The pipelines of `contacts` that belong to the caller's project. A contact is the
/// tenant's, but pipelines are per project: another project's pipeline is not shown.
pub async fn own_pipelines(
    store: &(impl PipelineStore + ?Sized),
    actor: &Actor,
    contacts: &[Contact],
) -> AppResult<HashSet<PipelineId>> {
    let mut own = HashSet::new();
    let mut seen = HashSet::new();
    for id in contacts.iter().filter_map(|c| c.pipeline_id) {
        if seen.insert(id) && store.get_pipeline(actor.scope, id).await?.is_some() {
            own.insert(id);
        }
    }
    Ok(own)
}

/// Validates the parts of a patch that need it, then applies it.
pub async fn update_contact(
    store: &(impl CrmStore + PipelineStore + ?Sized),
    clock: &dyn Clock,
    actor: &Actor,
    id: ContactId,
    mut patch: ContactPatch,
) -> AppResult<Contact> {
    actor.require(Permission::ContactsUpdate)?;
    if let Some(Some(n)) = &patch.name {
        patch.name = Some(Some(validate_name("name", n)?));
    }
    if let Some(Some(e)) = &patch.email {
        patch.email = Some(Some(validate_email(e)?));
    }
    if let Some(t) = &patch.tags {
        patch.tags = Some(validate_tags(t)?);
    }
    let mut c = get_contact(store, actor, id).await?;
    if let Some(p) = patch.pipeline_id.filter(|p| *p != c.pipeline_id) {
        check_pipeline(store, actor.scope, p).await?;
    }
    let now = clock.now();
    let changed = patch.apply(&mut c, now)?;
    if changed.contains(&"phone") {
        c.wa_id = c.phone.as_ref().map(|p| format!("{}@c.us", p.digits()));
    }
    if changed.is_empty() {
        return Ok(c);
    }
    let mut p = contact_payload(&c);
    p["changed"] = json!(changed);
    let event = actor.event(EventType::ContactUpdated, c.id.0, now, p);
    store
        .save_contacts(std::slice::from_ref(&c), &[event])
        .await
        .map_err(phone_taken)?;
    Ok(c)
}

/// Soft-deletes a contact: it leaves lists and lookups, its conversations stay, and its
/// phone is free for a new contact.
pub async fn delete_contact(
    store: &dyn CrmStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: ContactId,
) -> AppResult<()> {
    actor.require(Permission::ContactsDelete)?;
    let now = clock.now();
    let event = actor.event(
        EventType::ContactDeleted,
        id.0,
        now,
        json!({"contact_id": id}),
    );
    if store
        .delete_contact(actor.scope.tenant_id, id, now, &event)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound("contact"))
    }
}

pub const MAX_BULK: usize = 200;

/// Adds and removes tags on many contacts at once, all or nothing. Unknown ids are 404.
pub async fn bulk_tags(
    store: &dyn CrmStore,
    clock: &dyn Clock,
    actor: &Actor,
    ids: &[ContactId],
    add: &[String],
    remove: &[String],
) -> AppResult<Vec<Contact>> {
    actor.require(Permission::ContactsUpdate)?;
    if ids.is_empty() || ids.len() > MAX_BULK {
        return Err(AppError::validation(
            "contact_ids",
            format!("1 to {MAX_BULK} ids"),
        ));
    }
    if add.is_empty() && remove.is_empty() {
        return Err(AppError::validation("add", "give tags to add or remove"));
    }
    let add = validate_tags(add)?;
    let remove = validate_tags(remove)?;
    let now = clock.now();
    let mut out = Vec::with_capacity(ids.len());
    let mut changed_contacts = Vec::new();
    let mut events = Vec::new();
    for id in ids {
        if out.iter().any(|c: &Contact| c.id == *id) {
            continue;
        }
        let mut c = get_contact(store, actor, *id).await?;
        let mut tags: Vec<String> = c.tags.clone();
        tags.retain(|t| !remove.contains(t));
        tags.extend(add.iter().cloned());
        let patch = ContactPatch {
            tags: Some(validate_tags(&tags)?),
            ..Default::default()
        };
        let changed = patch.apply(&mut c, now)?;
        if !changed.is_empty() {
            let mut p = contact_payload(&c);
            p["changed"] = json!(changed);
            p["tags"] = json!(c.tags);
            events.push(actor.event(EventType::ContactUpdated, c.id.0, now, p));
            changed_contacts.push(c.clone());
        }
        out.push(c);
    }
    if !changed_contacts.is_empty() {
        store.save_contacts(&changed_contacts, &events).await?;
    }
    Ok(out)
}
