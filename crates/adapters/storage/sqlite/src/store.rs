use crate::group_commit::MAX_MEMBERS;
use crate::ingest::SqliteIngestTx;
use crate::rows::{
    self, CHANNEL_COLS, CHAT_COLS, CONTACT_COLS, CONTACT_EVENT_COLS, EVENT_COLS, SESSION_COLS, ms,
    ts,
};
use crate::{SqliteStore, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{AssertSqlSafe, Executor, QueryBuilder, Row, Sqlite};
use uuid::Uuid;
use ventros_app::error::AppResult;
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::{
    ApiKeyPrincipal, ContactEventFilter, ConversationFilter, IngestTx, NewTenant, OutboxRow, Store,
    WebhookChannel,
};
use ventros_domain::channel::Channel;
use ventros_domain::chat::{Chat, Participant};
use ventros_domain::contact::Contact;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::{ChannelId, ChatId, ContactId, EventId};
use ventros_domain::session::Session;
use ventros_domain::tenancy::{Role, Scope};
use ventros_domain::timeline::ContactEvent;

/// Appends `AND (sort, id) > (cursor)` for keyset pagination, then the order and limit.
pub(crate) fn paginate(q: &mut QueryBuilder<Sqlite>, sort_col: &str, page: &PageRequest) {
    paginate_dir(q, sort_col, false, page);
}

/// Keyset pagination in either direction (`desc`: newest first).
pub(crate) fn paginate_dir(
    q: &mut QueryBuilder<Sqlite>,
    sort_col: &str,
    desc: bool,
    page: &PageRequest,
) {
    let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
    if let Some(c) = page.after {
        // SQLite keeps milliseconds; cursors carry microseconds.
        let at = c.ts_us.div_euclid(1000);
        q.push(format!(" AND ({sort_col} {cmp} ")).push_bind(at);
        q.push(format!(" OR ({sort_col} = "))
            .push_bind(at)
            .push(format!(" AND id {cmp} "))
            .push_bind(c.id)
            .push("))");
    }
    q.push(format!(" ORDER BY {sort_col} {dir}, id {dir} LIMIT "))
        .push_bind(i64::from(page.limit) + 1);
}

/// Appends the chat/session filters that apply to `table`'s columns.
fn conversation_filters(q: &mut QueryBuilder<Sqlite>, f: &ConversationFilter, time_col: &str) {
    if let Some(c) = f.contact_id {
        q.push(" AND contact_id = ").push_bind(c.0);
    }
    if let Some(c) = f.channel_id {
        q.push(" AND channel_id = ").push_bind(c.0);
    }
    if let Some(a) = f.after {
        q.push(format!(" AND {time_col} >= ")).push_bind(ms(a));
    }
    if let Some(b) = f.before {
        q.push(format!(" AND {time_col} < ")).push_bind(ms(b));
    }
}

pub(crate) async fn insert_events<'c, E: sqlx::SqliteExecutor<'c>>(
    ex: E,
    events: &[EventEnvelope],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Sqlite>::new(
        "INSERT INTO outbox (id, tenant_id, project_id, event_type, version, occurred_at, source, correlation_id, causation_id, aggregate_type, aggregate_id, payload, created_at) ",
    );
    q.push_values(events, |mut b, e| {
        b.push_bind(e.id.0)
            .push_bind(e.tenant_id.0)
            .push_bind(e.project_id.0)
            .push_bind(e.event_type.clone())
            .push_bind(e.version)
            .push_bind(ms(e.occurred_at))
            .push_bind(e.source.clone())
            .push_bind(e.correlation_id.clone())
            .push_bind(e.causation_id.clone())
            .push_bind(e.aggregate_type.clone())
            .push_bind(e.aggregate_id)
            .push_bind(e.payload.to_string())
            .push_bind(ms(now));
    });
    q.build().execute(ex).await.map_err(db_err)?;
    Ok(())
}

impl SqliteStore {
    /// Runs a built read query and maps every row.
    pub(crate) async fn fetch<T>(
        &self,
        mut q: QueryBuilder<Sqlite>,
        map: impl Fn(&sqlx::sqlite::SqliteRow) -> Result<T, sqlx::Error>,
    ) -> AppResult<Vec<T>> {
        let rows = q.build().fetch_all(&self.read).await.map_err(db_err)?;
        rows.iter()
            .map(map)
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn pool_state(&self) -> (u32, usize) {
        (
            self.write.size() + self.read.size(),
            self.write.num_idle() + self.read.num_idle(),
        )
    }

    async fn ping(&self) -> AppResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn create_tenant(&self, t: &NewTenant) -> AppResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)")
            .bind(t.tenant.id.0)
            .bind(&t.tenant.name)
            .bind(ms(t.tenant.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query("INSERT INTO projects (id, tenant_id, name, created_at) VALUES (?, ?, ?, ?)")
            .bind(t.project.id.0)
            .bind(t.tenant.id.0)
            .bind(&t.project.name)
            .bind(ms(t.project.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let u = &t.admin;
        sqlx::query("INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(u.id.0)
            .bind(u.tenant_id.0)
            .bind(&u.email)
            .bind(&u.name)
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(ms(u.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let k = &t.api_key;
        sqlx::query("INSERT INTO api_keys (id, tenant_id, project_id, name, prefix, key_hash, role, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .bind(k.id.0)
            .bind(k.tenant_id.0)
            .bind(k.project_id.0)
            .bind(&k.name)
            .bind(&k.prefix)
            .bind(&k.key_hash)
            .bind(k.role.as_str())
            .bind(ms(k.created_at))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        insert_events(
            &mut *tx,
            std::slice::from_ref(&t.event),
            t.tenant.created_at,
        )
        .await?;
        tx.commit().await.map_err(db_err)
    }

    async fn find_api_key(&self, key_hash: &str) -> AppResult<Option<ApiKeyPrincipal>> {
        let row = sqlx::query("SELECT id, tenant_id, project_id, role FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")
            .bind(key_hash)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        let role: String = r.try_get("role").map_err(db_err)?;
        Ok(Some(ApiKeyPrincipal {
            scope: Scope {
                tenant_id: r.try_get::<Uuid, _>("tenant_id").map_err(db_err)?.into(),
                project_id: r.try_get::<Uuid, _>("project_id").map_err(db_err)?.into(),
            },
            role: Role::parse(&role)?,
            key_id: r.try_get::<Uuid, _>("id").map_err(db_err)?.into(),
        }))
    }

    async fn insert_channel(&self, c: &Channel, event: &EventEnvelope) -> AppResult<()> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query(AssertSqlSafe(format!("INSERT INTO channels ({CHANNEL_COLS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
            .bind(c.id.0)
            .bind(c.tenant_id.0)
            .bind(c.project_id.0)
            .bind(&c.name)
            .bind(&c.waha_base_url)
            .bind(c.waha_api_key.expose())
            .bind(&c.waha_session)
            .bind(c.webhook_hmac_key.as_ref().map(|k| k.expose().to_string()))
            .bind(&c.status)
            .bind(c.debounce_timeout_ms)
            .bind(c.session_timeout_seconds)
            .bind(c.message_group_max_age_ms)
            .bind(c.import_strategy.as_str())
            .bind(ms(c.created_at))
            .bind(ms(c.updated_at))
            .bind(c.deleted_at.map(ms))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        insert_events(&mut *tx, std::slice::from_ref(event), c.created_at).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn get_channel(&self, scope: Scope, id: ChannelId) -> AppResult<Option<Channel>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {CHANNEL_COLS} FROM channels WHERE tenant_id = ? AND project_id = ? AND id = ? AND deleted_at IS NULL")))
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .map(|r| rows::channel(&r))
            .transpose()
            .map_err(db_err)
    }

    async fn webhook_channel(&self, id: ChannelId) -> AppResult<Option<WebhookChannel>> {
        let row = sqlx::query("SELECT tenant_id, project_id, webhook_hmac_key, session_timeout_seconds, debounce_timeout_ms, message_group_max_age_ms FROM channels WHERE id = ? AND deleted_at IS NULL")
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(WebhookChannel {
            scope: Scope {
                tenant_id: r.try_get::<Uuid, _>("tenant_id").map_err(db_err)?.into(),
                project_id: r.try_get::<Uuid, _>("project_id").map_err(db_err)?.into(),
            },
            channel_id: id,
            hmac_key: r
                .try_get::<Option<String>, _>("webhook_hmac_key")
                .map_err(db_err)?
                .map(ventros_domain::secret::Secret::new),
            session_timeout_seconds: r.try_get("session_timeout_seconds").map_err(db_err)?,
            debounce_timeout_ms: r.try_get("debounce_timeout_ms").map_err(db_err)?,
            message_group_max_age_ms: r.try_get("message_group_max_age_ms").map_err(db_err)?,
        }))
    }

    async fn begin_ingest(&self, scope: Scope) -> AppResult<Box<dyn IngestTx>> {
        let mut g = self.batch.clone().lock_owned().await;
        if g.members >= MAX_MEMBERS {
            g.close().await;
        }
        g.undo_abandoned().await.map_err(db_err)?;
        if g.tx.is_none() {
            g.tx = Some(self.write.begin().await.map_err(db_err)?);
            g.id += 1;
            g.outcome = tokio::sync::watch::channel(None).0;
        }
        let (batch_id, outcome) = (g.id, g.outcome.subscribe());
        if let Some(tx) = g.tx.as_mut() {
            tx.execute("SAVEPOINT delivery").await.map_err(db_err)?;
        }
        g.members += 1;
        Ok(Box::new(SqliteIngestTx {
            guard: Some(g),
            batch: self.batch.clone(),
            batch_id,
            outcome,
            scope,
        }))
    }

    async fn get_contact(&self, scope: Scope, id: ContactId) -> AppResult<Option<Contact>> {
        sqlx::query(AssertSqlSafe(format!("SELECT {CONTACT_COLS} FROM contacts WHERE tenant_id = ? AND id = ? AND deleted_at IS NULL")))
            .bind(scope.tenant_id.0)
            .bind(id.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?
            .map(|r| rows::contact(&r))
            .transpose()
            .map_err(db_err)
    }

    async fn list_chats(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Chat>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {CHAT_COLS} FROM chats WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        conversation_filters(&mut q, f, "created_at");
        paginate(&mut q, "created_at", &page);
        let v = self.fetch(q, rows::chat).await?;
        Ok(Page::from_rows(v, page.limit, |c| Cursor {
            ts_us: c.created_at.timestamp_micros(),
            id: c.id.0,
        }))
    }

    async fn get_chat(&self, scope: Scope, id: ChatId) -> AppResult<Option<Chat>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {CHAT_COLS} FROM chats WHERE tenant_id = ? AND project_id = ? AND id = ?"
        )))
        .bind(scope.tenant_id.0)
        .bind(scope.project_id.0)
        .bind(id.0)
        .fetch_optional(&self.read)
        .await
        .map_err(db_err)?
        .map(|r| rows::chat(&r))
        .transpose()
        .map_err(db_err)
    }

    async fn list_participants(&self, scope: Scope, chat: ChatId) -> AppResult<Vec<Participant>> {
        let rows = sqlx::query("SELECT wa_id, role, left_at FROM chat_participants WHERE tenant_id = ? AND chat_id = ? ORDER BY wa_id")
            .bind(scope.tenant_id.0)
            .bind(chat.0)
            .fetch_all(&self.read)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(Participant {
                    wa_id: r.try_get("wa_id")?,
                    role: r.try_get("role")?,
                    left_at: r.try_get::<Option<i64>, _>("left_at")?.map(ts),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err)
    }

    async fn list_sessions(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Session>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {SESSION_COLS} FROM sessions WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        conversation_filters(&mut q, f, "started_at");
        if let Some(c) = f.chat_id {
            q.push(" AND chat_id = ").push_bind(c.0);
        }
        if let Some(st) = f.status {
            q.push(" AND status = ").push_bind(st.as_str());
        }
        if let Some(a) = f.agent_id {
            q.push(" AND agent_id = ").push_bind(a.0);
        }
        paginate(&mut q, "started_at", &page);
        let v = self.fetch(q, rows::session).await?;
        Ok(Page::from_rows(v, page.limit, |s| Cursor {
            ts_us: s.started_at.timestamp_micros(),
            id: s.id.0,
        }))
    }

    async fn list_contact_events(
        &self,
        scope: Scope,
        contact: ContactId,
        f: &ContactEventFilter,
        page: PageRequest,
    ) -> AppResult<Page<ContactEvent>> {
        let mut q = QueryBuilder::<Sqlite>::new(format!(
            "SELECT {CONTACT_EVENT_COLS} FROM contact_events WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND contact_id = ")
            .push_bind(contact.0);
        if let Some(t) = &f.event_type {
            q.push(" AND event_type = ").push_bind(t.clone());
        }
        if let Some(c) = &f.category {
            q.push(" AND category = ").push_bind(c.clone());
        }
        paginate(&mut q, "occurred_at", &page);
        let v = self.fetch(q, rows::contact_event).await?;
        Ok(Page::from_rows(v, page.limit, |e| Cursor {
            ts_us: e.occurred_at.timestamp_micros(),
            id: e.id.0,
        }))
    }

    async fn list_events(&self, scope: Scope, page: PageRequest) -> AppResult<Page<EventEnvelope>> {
        let after = page.after.map(|c| c.ts_us).unwrap_or(0);
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM outbox WHERE tenant_id = ? AND seq > ? ORDER BY seq LIMIT ?"
        )))
        .bind(scope.tenant_id.0)
        .bind(after)
        .bind(i64::from(page.limit) + 1)
        .fetch_all(&self.read)
        .await
        .map_err(db_err)?;
        let v = rows
            .iter()
            .map(|r| Ok((r.try_get::<i64, _>("seq")?, rows::envelope(r)?)))
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err)?;
        let p = Page::from_rows(v, page.limit, |(seq, e)| Cursor {
            ts_us: *seq,
            id: e.id.0,
        });
        Ok(Page {
            data: p.data.into_iter().map(|(_, e)| e).collect(),
            next_cursor: p.next_cursor,
        })
    }

    async fn claim_outbox(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<OutboxRow>> {
        // A short write: lease the rows and return them; nothing is held across publishing.
        let rows = sqlx::query(AssertSqlSafe(format!(
            "UPDATE outbox SET lease_until = ?, attempts = attempts + 1 WHERE seq IN (
                SELECT seq FROM outbox WHERE published_at IS NULL AND (lease_until IS NULL OR lease_until <= ?)
                ORDER BY seq LIMIT ?) RETURNING {EVENT_COLS}"
        )))
        .bind(ms(lease_until))
        .bind(ms(now))
        .bind(i64::from(limit))
        .fetch_all(&self.write)
        .await
        .map_err(db_err)?;
        let mut out = rows
            .iter()
            .map(|r| {
                Ok(OutboxRow {
                    seq: r.try_get("seq")?,
                    envelope: rows::envelope(r)?,
                    attempts: r.try_get("attempts")?,
                    created_at: ts(r.try_get("created_at")?),
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err)?;
        out.sort_by_key(|r| r.seq);
        Ok(out)
    }

    async fn mark_published(&self, seqs: &[i64], now: DateTime<Utc>) -> AppResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        let mut q = QueryBuilder::<Sqlite>::new("UPDATE outbox SET published_at = ");
        q.push_bind(ms(now))
            .push(", lease_until = NULL WHERE seq IN (");
        let mut sep = q.separated(", ");
        for s in seqs {
            sep.push_bind(*s);
        }
        q.push(")");
        q.build().execute(&self.write).await.map_err(db_err)?;
        Ok(())
    }

    async fn outbox_backlog(&self) -> AppResult<(i64, Option<DateTime<Utc>>)> {
        let r = sqlx::query("SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE published_at IS NULL")
            .fetch_one(&self.read)
            .await
            .map_err(db_err)?;
        Ok((
            r.try_get("n").map_err(db_err)?,
            r.try_get::<Option<i64>, _>("oldest")
                .map_err(db_err)?
                .map(ts),
        ))
    }

    async fn apply_timeline(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        entry: Option<&ContactEvent>,
    ) -> AppResult<bool> {
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let fresh = sqlx::query("INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
            .bind(consumer)
            .bind(event.id.0)
            .bind(event.tenant_id.0)
            .bind(ms(Utc::now()))
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected()
            == 1;
        if !fresh {
            return Ok(false);
        }
        if let Some(e) = entry {
            // The contact may be gone (or never stored); then there is nothing to attach to.
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO contact_events ({CONTACT_EVENT_COLS}) SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM contacts WHERE tenant_id = ? AND id = ?)"
            )))
            .bind(e.id.0)
            .bind(e.tenant_id.0)
            .bind(e.project_id.0)
            .bind(e.contact_id.0)
            .bind(&e.event_type)
            .bind(&e.category)
            .bind(&e.summary)
            .bind(e.payload.to_string())
            .bind(e.source_event_id.0)
            .bind(ms(e.occurred_at))
            .bind(e.tenant_id.0)
            .bind(e.contact_id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn consumer_handled(&self, consumer: &str, event: EventId) -> AppResult<bool> {
        let r = sqlx::query("SELECT 1 FROM processed_events WHERE consumer = ? AND event_id = ?")
            .bind(consumer)
            .bind(event.0)
            .fetch_optional(&self.read)
            .await
            .map_err(db_err)?;
        Ok(r.is_some())
    }
}
