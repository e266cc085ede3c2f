//! Contacts, notes, channels and conversation reads on SQLite.

use crate::ingest::insert_contact_row;
use crate::rows::{self, CHANNEL_COLS, CONTACT_COLS, MESSAGE_COLS, NOTE_COLS, SESSION_COLS, ms};
use crate::store::{insert_events, paginate, paginate_dir};
use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, QueryBuilder, Sqlite};
use ventros_app::AppError;
use ventros_app::error::AppResult;
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::{ContactFilter, CrmStore, MessageFilter, NoteFilter};
use ventros_domain::channel::Channel;
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, ContactId, MessageId, NoteId, SessionId, TenantId};
use ventros_domain::message::Message;
use ventros_domain::note::Note;
use ventros_domain::session::Session;
use ventros_domain::tenancy::Scope;

fn cursor(at: DateTime<Utc>, id: uuid::Uuid) -> Cursor {
    Cursor {
        ts_us: at.timestamp_micros(),
        id,
    }
}

/// `SELECT cols FROM table` for one id in the caller's tenant and project.
fn in_project(cols: &str, table: &str, scope: Scope, id: uuid::Uuid) -> QueryBuilder<Sqlite> {
    let mut q =
        QueryBuilder::<Sqlite>::new(format!("SELECT {cols} FROM {table} WHERE tenant_id = "));
    q.push_bind(scope.tenant_id.0)
        .push(" AND project_id = ")
        .push_bind(scope.project_id.0)
        .push(" AND id = ")
        .push_bind(id);
    q
}

fn taken() -> AppError {
    AppError::conflict("conflict", "a record with the same unique key exists")
}

#[async_trait]
impl CrmStore for SqliteStore {
    async fn insert_contact(&self, c: &Contact, event: &EventEnvelope) -> AppResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        if !insert_contact_row(&mut *tx, c).await? {
            return Err(taken());
        }
        insert_events(&mut *tx, std::slice::from_ref(event), c.created_at).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn save_contacts(&self, cs: &[Contact], events: &[EventEnvelope]) -> AppResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        for c in cs {
            sqlx::query("UPDATE contacts SET name = ?, phone = ?, wa_id = ?, email = ?, tags = ?, custom_fields = ?, pipeline_id = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL")
                .bind(&c.name)
                .bind(c.phone.as_ref().map(|p| p.as_str().to_string()))
                .bind(&c.wa_id)
                .bind(&c.email)
                .bind(serde_json::json!(c.tags).to_string())
                .bind(c.custom_fields.to_string())
                .bind(c.pipeline_id.map(|p| p.0))
                .bind(ms(c.updated_at))
                .bind(c.tenant_id.0)
                .bind(c.id.0)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?;
        }
        let now = cs
            .iter()
            .map(|c| c.updated_at)
            .max()
            .unwrap_or_else(Utc::now);
        insert_events(&mut *tx, events, now).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn delete_contact(
        &self,
        tenant: TenantId,
        id: ContactId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE contacts SET deleted_at = ?, updated_at = ? WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL")
            .bind(ms(at))
            .bind(ms(at))
            .bind(tenant.0)
            .bind(id.0);
        Ok(self
            .write_with_events(q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn search_contacts(
        &self,
        tenant: TenantId,
        f: &ContactFilter,
        page: PageRequest,
    ) -> AppResult<Page<Contact>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {CONTACT_COLS} FROM contacts WHERE deleted_at IS NULL AND tenant_id = "
        ));
        q.push_bind(tenant.0);
        if let Some(p) = &f.phone {
            q.push(" AND phone = ").push_bind(p.as_str().to_string());
        }
        if let (Some(name), Some(phone)) = (f.name_pattern(), f.phone_pattern()) {
            q.push(" AND (name LIKE ")
                .push_bind(name)
                .push(" ESCAPE '\\' OR phone LIKE ")
                .push_bind(phone)
                .push(" ESCAPE '\\')");
        }
        if !f.tags.is_empty() {
            q.push(" AND EXISTS (SELECT 1 FROM json_each(contacts.tags) WHERE value IN (");
            let mut sep = q.separated(", ");
            for t in &f.tags {
                sep.push_bind(t.clone());
            }
            q.push("))");
        }
        if let Some(p) = f.pipeline_id {
            q.push(" AND pipeline_id = ").push_bind(p.0);
        }
        if let Some(a) = f.created_after {
            q.push(" AND created_at >= ").push_bind(ms(a));
        }
        if let Some(b) = f.created_before {
            q.push(" AND created_at < ").push_bind(ms(b));
        }
        paginate_dir(&mut q, f.sort.column(), f.sort.descending(), &page);
        let v = self.fetch(q, rows::contact).await?;
        let by_updated = f.sort.column() == "updated_at";
        Ok(Page::from_rows(v, page.limit, |c| {
            cursor(
                if by_updated {
                    c.updated_at
                } else {
                    c.created_at
                },
                c.id.0,
            )
        }))
    }

    async fn insert_note(&self, n: &Note, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO notes ({NOTE_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )))
        .bind(n.id.0)
        .bind(n.tenant_id.0)
        .bind(n.project_id.0)
        .bind(n.contact_id.0)
        .bind(n.session_id.map(|s| s.0))
        .bind(&n.body)
        .bind(&n.author)
        .bind(ms(n.created_at));
        self.write_with_events(q, std::slice::from_ref(event), n.created_at)
            .await?;
        Ok(())
    }

    async fn get_note(&self, tenant: TenantId, id: NoteId) -> AppResult<Option<Note>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {NOTE_COLS} FROM notes WHERE deleted_at IS NULL AND tenant_id = "
        ));
        q.push_bind(tenant.0).push(" AND id = ").push_bind(id.0);
        self.one(q, rows::note).await
    }

    async fn list_notes(
        &self,
        tenant: TenantId,
        f: &NoteFilter,
        page: PageRequest,
    ) -> AppResult<Page<Note>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {NOTE_COLS} FROM notes WHERE deleted_at IS NULL AND tenant_id = "
        ));
        q.push_bind(tenant.0);
        if let Some(c) = f.contact_id {
            q.push(" AND contact_id = ").push_bind(c.0);
        }
        if let Some(s) = f.session_id {
            q.push(" AND session_id = ").push_bind(s.0);
        }
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::note).await?;
        Ok(Page::from_rows(v, page.limit, |n| {
            cursor(n.created_at, n.id.0)
        }))
    }

    async fn delete_note(
        &self,
        tenant: TenantId,
        id: NoteId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query(
            "UPDATE notes SET deleted_at = ? WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL",
        )
        .bind(ms(at))
        .bind(tenant.0)
        .bind(id.0);
        Ok(self
            .write_with_events(q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn list_channels(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Channel>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {CHANNEL_COLS} FROM channels WHERE deleted_at IS NULL AND tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::channel).await?;
        Ok(Page::from_rows(v, page.limit, |c| {
            cursor(c.created_at, c.id.0)
        }))
    }

    async fn update_channel(&self, c: &Channel, events: &[EventEnvelope]) -> AppResult<()> {
        let q = sqlx::query("UPDATE channels SET name = ?, waha_base_url = ?, waha_api_key = ?, waha_session = ?, webhook_hmac_key = ?, debounce_timeout_ms = ?, session_timeout_seconds = ?, message_group_max_age_ms = ?, import_strategy = ?, updated_at = ? WHERE tenant_id = ? AND project_id = ? AND id = ? AND deleted_at IS NULL")
            .bind(&c.name)
            .bind(&c.waha_base_url)
            .bind(c.waha_api_key.expose().to_string())
            .bind(&c.waha_session)
            .bind(c.webhook_hmac_key.as_ref().map(|k| k.expose().to_string()))
            .bind(c.debounce_timeout_ms)
            .bind(c.session_timeout_seconds)
            .bind(c.message_group_max_age_ms)
            .bind(c.import_strategy.as_str())
            .bind(ms(c.updated_at))
            .bind(c.tenant_id.0)
            .bind(c.project_id.0)
            .bind(c.id.0);
        self.write_with_events(q, events, c.updated_at).await?;
        Ok(())
    }

    async fn delete_channel(
        &self,
        scope: Scope,
        id: ChannelId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE channels SET deleted_at = ?, updated_at = ? WHERE tenant_id = ? AND project_id = ? AND id = ? AND deleted_at IS NULL")
            .bind(ms(at))
            .bind(ms(at))
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0);
        Ok(self
            .write_with_events(q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn find_messages(
        &self,
        scope: Scope,
        f: &MessageFilter,
        page: PageRequest,
    ) -> AppResult<Page<Message>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        if let Some(v) = f.chat_id {
            q.push(" AND chat_id = ").push_bind(v.0);
        }
        if let Some(v) = f.session_id {
            q.push(" AND session_id = ").push_bind(v.0);
        }
        if let Some(v) = f.contact_id {
            q.push(" AND contact_id = ").push_bind(v.0);
        }
        if let Some(v) = f.channel_id {
            q.push(" AND channel_id = ").push_bind(v.0);
        }
        if let Some(d) = f.direction {
            q.push(" AND direction = ").push_bind(rows::enum_str(&d));
        }
        if let Some(a) = f.sent_after {
            q.push(" AND sent_at >= ").push_bind(ms(a));
        }
        if let Some(b) = f.sent_before {
            q.push(" AND sent_at < ").push_bind(ms(b));
        }
        paginate(&mut q, "sent_at", &page);
        let v = self.fetch(q, rows::message).await?;
        Ok(Page::from_rows(v, page.limit, |m| {
            cursor(m.sent_at, m.id.0)
        }))
    }

    async fn get_message(&self, scope: Scope, id: MessageId) -> AppResult<Option<Message>> {
        let q = in_project(MESSAGE_COLS, "messages", scope, id.0);
        self.one(q, rows::message).await
    }

    async fn get_session(&self, scope: Scope, id: SessionId) -> AppResult<Option<Session>> {
        let q = in_project(SESSION_COLS, "sessions", scope, id.0);
        self.one(q, rows::session).await
    }
}
