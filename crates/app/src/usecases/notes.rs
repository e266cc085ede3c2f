//! Notes on contacts and sessions; each one also lands on the contact's timeline.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, ConversationStore, CrmStore, NoteFilter};
use serde_json::json;
use ventros_domain::event::EventType;
use ventros_domain::ids::{ContactId, NoteId, SessionId};
use ventros_domain::note::{Note, validate_body};
use ventros_domain::rbac::Permission;

/// What a note is attached to.
#[derive(Debug, Clone, Copy)]
pub enum NoteTarget {
    Contact(ContactId),
    Session(SessionId),
}

async fn resolve(
    store: &(impl CrmStore + ConversationStore + ?Sized),
    actor: &Actor,
    t: NoteTarget,
) -> AppResult<(ContactId, Option<SessionId>)> {
    match t {
        NoteTarget::Contact(c) => {
            if store.get_contact(actor.scope, c).await?.is_none() {
                return Err(AppError::NotFound("contact"));
            }
            Ok((c, None))
        }
        NoteTarget::Session(s) => {
            let session = store
                .get_session(actor.scope, s)
                .await?
                .ok_or(AppError::NotFound("session"))?;
            let c = session.contact_id.ok_or(AppError::Unprocessable {
                code: "session_without_contact",
                message: "this session (a group chat) has no contact to attach a note to".into(),
            })?;
            Ok((c, Some(s)))
        }
    }
}

pub async fn add_note(
    store: &(impl CrmStore + ConversationStore + ?Sized),
    clock: &dyn Clock,
    actor: &Actor,
    target: NoteTarget,
    body: &str,
) -> AppResult<Note> {
    actor.require(Permission::NotesCreate)?;
    let body = validate_body(body)?;
    let (contact_id, session_id) = resolve(store, actor, target).await?;
    let now = clock.now();
    let n = Note {
        id: NoteId::new(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        contact_id,
        session_id,
        body,
        author: actor.id(),
        created_at: now,
    };
    let event = actor.event(
        EventType::NoteAdded,
        n.id.0,
        now,
        json!({"note_id": n.id, "contact_id": n.contact_id, "session_id": n.session_id, "author": n.author, "body": n.body}),
    );
    store.insert_note(&n, &event).await?;
    Ok(n)
}

pub async fn list_notes(
    store: &(impl CrmStore + ConversationStore + ?Sized),
    actor: &Actor,
    target: NoteTarget,
    page: PageRequest,
) -> AppResult<Page<Note>> {
    actor.require(Permission::NotesRead)?;
    let (contact, session) = resolve(store, actor, target).await?;
    let f = NoteFilter {
        contact_id: session.is_none().then_some(contact),
        session_id: session,
    };
    store.list_notes(actor.scope, &f, page).await
}

pub async fn delete_note(
    store: &dyn CrmStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: NoteId,
) -> AppResult<()> {
    actor.require(Permission::NotesDelete)?;
    let n = store
        .get_note(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("note"))?;
    let now = clock.now();
    let event = actor.event(
        EventType::NoteDeleted,
        id.0,
        now,
        json!({"note_id": id, "contact_id": n.contact_id, "session_id": n.session_id}),
    );
    if store.delete_note(actor.scope, id, now, &event).await? {
        Ok(())
    } else {
        Err(AppError::NotFound("note"))
    }
}
