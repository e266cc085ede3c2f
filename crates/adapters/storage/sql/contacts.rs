//! Contacts (tenant-wide), their notes and their timeline.

use crate::dialect::{CI_LIKE, DbConn, DbStore, push_tags_any};
use crate::sql::rows::{self, CONTACT_COLS, CONTACT_EVENT_COLS, NOTE_COLS};
use crate::sql::{Ts, db_err, page_by, paginate, select, select_in, taken};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use sqlx::types::Json;
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::{ContactEventFilter, ContactFilter, CrmStore, NoteFilter};
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ContactId, NoteId, TenantId};
use ventros_domain::note::Note;
use ventros_domain::tenancy::Scope;
use ventros_domain::timeline::ContactEvent;

/// Inserts a contact unless one with its phone or LID exists; `false` then.
pub(crate) async fn insert_contact_row(conn: &mut DbConn, c: &Contact) -> AppResult<bool> {
    let n = sqlx::query(AssertSqlSafe(format!("INSERT INTO contacts ({CONTACT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT DO NOTHING")))
        .bind(c.id.0)
        .bind(c.tenant_id.0)
        .bind(c.project_id.0)
        .bind(c.phone.as_ref().map(|p| p.as_str().to_string()))
        .bind(&c.wa_id)
        .bind(&c.lid)
        .bind(&c.name)
        .bind(&c.push_name)
        .bind(&c.email)
        .bind(&c.profile_picture_url)
        .bind(Json(&c.tags))
        .bind(Json(&c.custom_fields))
        .bind(c.pipeline_id.map(|p| p.0))
        .bind(Ts(c.created_at))
        .bind(Ts(c.updated_at))
        .execute(conn)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(n == 1)
}

fn live_notes(scope: Scope) -> sqlx::QueryBuilder<crate::dialect::Db> {
    let mut q = select_in(NOTE_COLS, "notes", scope);
    q.push(" AND deleted_at IS NULL");
    q
}

#[async_trait]
impl CrmStore for DbStore {
    async fn get_contact(&self, scope: Scope, id: ContactId) -> AppResult<Option<Contact>> {
        let mut q = select(CONTACT_COLS, "contacts", scope.tenant_id);
        q.push(" AND id = ")
            .push_bind(id.0)
            .push(" AND deleted_at IS NULL");
        self.one(scope.tenant_id, q.build(), rows::contact).await
    }

    async fn insert_contact(&self, c: &Contact, event: &EventEnvelope) -> AppResult<()> {
        let mut tx = self.write(c.tenant_id).await?;
        if !insert_contact_row(tx.conn(), c).await? {
            return Err(taken());
        }
        tx.append(std::slice::from_ref(event), c.created_at).await?;
        tx.commit().await
    }

    async fn save_contacts(&self, cs: &[Contact], events: &[EventEnvelope]) -> AppResult<()> {
        let Some(first) = cs.first() else {
            return Ok(());
        };
        let mut tx = self.write(first.tenant_id).await?;
        for c in cs {
            sqlx::query("UPDATE contacts SET name = $1, phone = $2, wa_id = $3, email = $4, tags = $5, custom_fields = $6, pipeline_id = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10 AND deleted_at IS NULL")
                .bind(&c.name)
                .bind(c.phone.as_ref().map(|p| p.as_str().to_string()))
                .bind(&c.wa_id)
                .bind(&c.email)
                .bind(Json(&c.tags))
                .bind(Json(&c.custom_fields))
                .bind(c.pipeline_id.map(|p| p.0))
                .bind(Ts(c.updated_at))
                .bind(c.tenant_id.0)
                .bind(c.id.0)
                .execute(tx.conn())
                .await
                .map_err(db_err)?;
        }
        let now = cs
            .iter()
            .map(|c| c.updated_at)
            .max()
            .unwrap_or_else(Utc::now);
        tx.append(events, now).await?;
        tx.commit().await
    }

    async fn merge_contacts(
        &self,
        survivor: &Contact,
        merged: ContactId,
        events: &[EventEnvelope],
    ) -> AppResult<bool> {
        let (t, s, at) = (survivor.tenant_id, survivor.id, survivor.updated_at);
        let mut tx = self.write(t).await?;
        // First out of the unique phone/LID indexes, so the survivor can take the LID.
        let gone = sqlx::query("UPDATE contacts SET deleted_at = $1, updated_at = $1, merged_into = $2 WHERE tenant_id = $3 AND id = $4 AND deleted_at IS NULL")
            .bind(Ts(at))
            .bind(s.0)
            .bind(t.0)
            .bind(merged.0)
            .execute(tx.conn())
            .await
            .map_err(db_err)?
            .rows_affected();
        if gone == 0 {
            return Ok(false);
        }
        sqlx::query("UPDATE contacts SET name = $1, push_name = $2, email = $3, lid = $4, tags = $5, custom_fields = $6, pipeline_id = $7, updated_at = $8 WHERE tenant_id = $9 AND id = $10")
            .bind(&survivor.name)
            .bind(&survivor.push_name)
            .bind(&survivor.email)
            .bind(&survivor.lid)
            .bind(Json(&survivor.tags))
            .bind(Json(&survivor.custom_fields))
            .bind(survivor.pipeline_id.map(|p| p.0))
            .bind(Ts(at))
            .bind(t.0)
            .bind(s.0)
            .execute(tx.conn())
            .await
            .map_err(db_err)?;
        for sql in [
            "UPDATE chats SET contact_id = $1 WHERE tenant_id = $2 AND contact_id = $3",
            "UPDATE sessions SET contact_id = $1 WHERE tenant_id = $2 AND contact_id = $3",
            "UPDATE messages SET contact_id = $1 WHERE tenant_id = $2 AND contact_id = $3",
            "UPDATE notes SET contact_id = $1 WHERE tenant_id = $2 AND contact_id = $3",
            "UPDATE contact_events SET contact_id = $1 WHERE tenant_id = $2 AND contact_id = $3",
            "UPDATE contacts SET merged_into = $1 WHERE tenant_id = $2 AND merged_into = $3",
            // The survivor keeps its own picture; else it takes the merged one's.
            "UPDATE contact_pictures SET contact_id = $1 WHERE tenant_id = $2 AND contact_id = $3
               AND NOT EXISTS (SELECT 1 FROM contact_pictures p WHERE p.tenant_id = $2 AND p.contact_id = $1)",
        ] {
            sqlx::query(sql)
                .bind(s.0)
                .bind(t.0)
                .bind(merged.0)
                .execute(tx.conn())
                .await
                .map_err(db_err)?;
        }
        sqlx::query("DELETE FROM contact_pictures WHERE tenant_id = $1 AND contact_id = $2")
            .bind(t.0)
            .bind(merged.0)
            .execute(tx.conn())
            .await
            .map_err(db_err)?;
        tx.append(events, at).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn delete_contact(
        &self,
        tenant: TenantId,
        id: ContactId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE contacts SET deleted_at = $1, updated_at = $1 WHERE tenant_id = $2 AND id = $3 AND deleted_at IS NULL")
            .bind(Ts(at))
            .bind(tenant.0)
            .bind(id.0);
        Ok(self
            .write_with_events(tenant, q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn search_contacts(
        &self,
        tenant: TenantId,
        f: &ContactFilter,
        page: PageRequest,
    ) -> AppResult<Page<Contact>> {
        let mut q = select(CONTACT_COLS, "contacts", tenant);
        q.push(" AND deleted_at IS NULL");
        if let Some(p) = &f.phone {
            q.push(" AND phone = ").push_bind(p.as_str().to_string());
        }
        if let (Some(name), Some(phone)) = (f.name_pattern(), f.phone_pattern()) {
            q.push(format!(" AND (name {CI_LIKE} "))
                .push_bind(name)
                .push(format!(" ESCAPE '\\' OR phone {CI_LIKE} "))
                .push_bind(phone)
                .push(" ESCAPE '\\')");
        }
        if !f.tags.is_empty() {
            push_tags_any(&mut q, &f.tags);
        }
        if let Some(p) = f.pipeline_id {
            q.push(" AND pipeline_id = ").push_bind(p.0);
        }
        if let Some(a) = f.created_after {
            q.push(" AND created_at >= ").push_bind(Ts(a));
        }
        if let Some(b) = f.created_before {
            q.push(" AND created_at < ").push_bind(Ts(b));
        }
        paginate(&mut q, f.sort.column(), f.sort.descending(), &page);
        let v = self.all(tenant, q.build(), rows::contact).await?;
        let by_updated = f.sort.column() == "updated_at";
        Ok(page_by(v, page.limit, |c| {
            let at = if by_updated {
                c.updated_at
            } else {
                c.created_at
            };
            (at, c.id.0)
        }))
    }

    async fn insert_note(&self, n: &Note, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO notes ({NOTE_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )))
        .bind(n.id.0)
        .bind(n.tenant_id.0)
        .bind(n.project_id.0)
        .bind(n.contact_id.0)
        .bind(n.session_id.map(|s| s.0))
        .bind(&n.body)
        .bind(&n.author)
        .bind(Ts(n.created_at));
        self.write_with_events(n.tenant_id, q, std::slice::from_ref(event), n.created_at)
            .await?;
        Ok(())
    }

    async fn get_note(&self, scope: Scope, id: NoteId) -> AppResult<Option<Note>> {
        let mut q = live_notes(scope);
        q.push(" AND id = ").push_bind(id.0);
        self.one(scope.tenant_id, q.build(), rows::note).await
    }

    async fn list_notes(
        &self,
        scope: Scope,
        f: &NoteFilter,
        page: PageRequest,
    ) -> AppResult<Page<Note>> {
        let mut q = live_notes(scope);
        if let Some(c) = f.contact_id {
            q.push(" AND contact_id = ").push_bind(c.0);
        }
        if let Some(s) = f.session_id {
            q.push(" AND session_id = ").push_bind(s.0);
        }
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::note).await?;
        Ok(page_by(v, page.limit, |n| (n.created_at, n.id.0)))
    }

    async fn delete_note(
        &self,
        scope: Scope,
        id: NoteId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query(
            "UPDATE notes SET deleted_at = $1 WHERE tenant_id = $2 AND project_id = $3 AND id = $4 AND deleted_at IS NULL",
        )
        .bind(Ts(at))
        .bind(scope.tenant_id.0)
        .bind(scope.project_id.0)
        .bind(id.0);
        Ok(self
            .write_with_events(scope.tenant_id, q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn list_contact_events(
        &self,
        scope: Scope,
        contact: ContactId,
        f: &ContactEventFilter,
        page: PageRequest,
    ) -> AppResult<Page<ContactEvent>> {
        let mut q = select_in(CONTACT_EVENT_COLS, "contact_events", scope);
        q.push(" AND contact_id = ").push_bind(contact.0);
        if let Some(t) = &f.event_type {
            q.push(" AND event_type = ").push_bind(t.clone());
        }
        if let Some(c) = &f.category {
            q.push(" AND category = ").push_bind(c.clone());
        }
        paginate(&mut q, "occurred_at", false, &page);
        let v = self
            .all(scope.tenant_id, q.build(), rows::contact_event)
            .await?;
        Ok(page_by(v, page.limit, |e| (e.occurred_at, e.id.0)))
    }
}
