use crate::ingest::PgIngestTx;
use crate::rows::{
    self, CHANNEL_COLS, CHAT_COLS, CONTACT_COLS, CONTACT_EVENT_COLS, EVENT_COLS, SESSION_COLS,
};
use crate::{PgStore, begin_tenant, db_err};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{AssertSqlSafe, Postgres, QueryBuilder, Row};
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
use ventros_domain::ids::{ChannelId, ChatId, ContactId, EventId, TenantId};
use ventros_domain::session::Session;
use ventros_domain::tenancy::{Role, Scope};
use ventros_domain::timeline::ContactEvent;

/// Appends keyset pagination on (sort column, id), then order and limit.
pub(crate) fn paginate(q: &mut QueryBuilder<Postgres>, sort_col: &str, page: &PageRequest) {
    paginate_dir(q, sort_col, false, page);
}

/// Keyset pagination in either direction (`desc`: newest first).
pub(crate) fn paginate_dir(
    q: &mut QueryBuilder<Postgres>,
    sort_col: &str,
    desc: bool,
    page: &PageRequest,
) {
    let (cmp, dir) = if desc { ("<", "DESC") } else { (">", "ASC") };
    if let Some(c) = page.after {
        let at = DateTime::<Utc>::from_timestamp_micros(c.ts_us).unwrap_or_default();
        q.push(format!(" AND ({sort_col}, id) {cmp} ("))
            .push_bind(at)
            .push(", ")
            .push_bind(c.id)
            .push(")");
    }
    q.push(format!(" ORDER BY {sort_col} {dir}, id {dir} LIMIT "))
        .push_bind(i64::from(page.limit) + 1);
}

/// Appends the chat/session filters on contact, channel and a time range.
fn conversation_filters(q: &mut QueryBuilder<Postgres>, f: &ConversationFilter, time_col: &str) {
    if let Some(c) = f.contact_id {
        q.push(" AND contact_id = ").push_bind(c.0);
    }
    if let Some(c) = f.channel_id {
        q.push(" AND channel_id = ").push_bind(c.0);
    }
    if let Some(a) = f.after {
        q.push(format!(" AND {time_col} >= ")).push_bind(a);
    }
    if let Some(b) = f.before {
        q.push(format!(" AND {time_col} < ")).push_bind(b);
    }
}

pub(crate) async fn insert_events<'c, E: sqlx::PgExecutor<'c>>(
    ex: E,
    events: &[EventEnvelope],
    now: DateTime<Utc>,
) -> AppResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let mut q = QueryBuilder::<Postgres>::new(
        "INSERT INTO outbox (id, tenant_id, project_id, event_type, version, occurred_at, source, correlation_id, causation_id, aggregate_type, aggregate_id, payload, created_at) ",
    );
    q.push_values(events, |mut b, e| {
        b.push_bind(e.id.0)
            .push_bind(e.tenant_id.0)
            .push_bind(e.project_id.0)
            .push_bind(e.event_type.clone())
            .push_bind(e.version)
            .push_bind(e.occurred_at)
            .push_bind(e.source.clone())
            .push_bind(e.correlation_id.clone())
            .push_bind(e.causation_id.clone())
            .push_bind(e.aggregate_type.clone())
            .push_bind(e.aggregate_id)
            .push_bind(e.payload.clone())
            .push_bind(now);
    });
    q.build().execute(ex).await.map_err(db_err)?;
    Ok(())
}

impl PgStore {
    /// Runs a built query in a transaction bound to `tenant` and maps every row.
    pub(crate) async fn fetch_scoped<T>(
        &self,
        tenant: TenantId,
        mut q: QueryBuilder<Postgres>,
        map: impl Fn(&PgRow) -> Result<T, sqlx::Error>,
    ) -> AppResult<Vec<T>> {
        let mut tx = begin_tenant(&self.pool, tenant).await?;
        let rows = q.build().fetch_all(&mut *tx).await.map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        rows.iter()
            .map(map)
            .collect::<Result<Vec<_>, _>>()
            .map_err(db_err)
    }

    pub(crate) async fn fetch_one_scoped<T>(
        &self,
        tenant: TenantId,
        q: QueryBuilder<Postgres>,
        map: impl Fn(&PgRow) -> Result<T, sqlx::Error>,
    ) -> AppResult<Option<T>> {
        Ok(self.fetch_scoped(tenant, q, map).await?.into_iter().next())
    }
}

pub(crate) fn select(sql: String) -> QueryBuilder<Postgres> {
    QueryBuilder::new(sql)
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    async fn ping(&self) -> AppResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn create_tenant(&self, t: &NewTenant) -> AppResult<()> {
        let mut tx = begin_tenant(&self.pool, t.tenant.id).await?;
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(t.tenant.id.0)
            .bind(&t.tenant.name)
            .bind(t.tenant.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        sqlx::query(
            "INSERT INTO projects (id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(t.project.id.0)
        .bind(t.tenant.id.0)
        .bind(&t.project.name)
        .bind(t.project.created_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        let u = &t.admin;
        sqlx::query("INSERT INTO users (id, tenant_id, email, name, password_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(u.id.0)
            .bind(u.tenant_id.0)
            .bind(&u.email)
            .bind(&u.name)
            .bind(&u.password_hash)
            .bind(u.role.as_str())
            .bind(u.created_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        let k = &t.api_key;
        sqlx::query("INSERT INTO api_keys (id, tenant_id, project_id, name, prefix, key_hash, role, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(k.id.0)
            .bind(k.tenant_id.0)
            .bind(k.project_id.0)
            .bind(&k.name)
            .bind(&k.prefix)
            .bind(&k.key_hash)
            .bind(k.role.as_str())
            .bind(k.created_at)
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
        let row =
            sqlx::query("SELECT id, tenant_id, project_id, role FROM ventros_find_api_key($1)")
                .bind(key_hash)
                .fetch_optional(&self.pool)
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
        let mut tx = begin_tenant(&self.pool, c.tenant_id).await?;
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO channels ({CHANNEL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        )))
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
        .bind(c.created_at)
        .bind(c.updated_at)
        .bind(c.deleted_at)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        insert_events(&mut *tx, std::slice::from_ref(event), c.created_at).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn get_channel(&self, scope: Scope, id: ChannelId) -> AppResult<Option<Channel>> {
        let mut q = select(format!(
            "SELECT {CHANNEL_COLS} FROM channels WHERE deleted_at IS NULL AND tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0)
            .push(" AND id = ")
            .push_bind(id.0);
        self.fetch_one_scoped(scope.tenant_id, q, rows::channel)
            .await
    }

    async fn webhook_channel(&self, id: ChannelId) -> AppResult<Option<WebhookChannel>> {
        let row = sqlx::query(
            "SELECT tenant_id, project_id, webhook_hmac_key, session_timeout_seconds, debounce_timeout_ms, message_group_max_age_ms FROM ventros_webhook_channel($1)",
        )
        .bind(id.0)
        .fetch_optional(&self.pool)
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
        let tx = begin_tenant(&self.pool, scope.tenant_id).await?;
        Ok(Box::new(PgIngestTx { tx, scope }))
    }

    async fn get_contact(&self, scope: Scope, id: ContactId) -> AppResult<Option<Contact>> {
        let mut q = select(format!(
            "SELECT {CONTACT_COLS} FROM contacts WHERE deleted_at IS NULL AND tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND id = ")
            .push_bind(id.0);
        self.fetch_one_scoped(scope.tenant_id, q, rows::contact)
            .await
    }

    async fn list_chats(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Chat>> {
        let mut q = select(format!("SELECT {CHAT_COLS} FROM chats WHERE tenant_id = "));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0);
        conversation_filters(&mut q, f, "created_at");
        paginate(&mut q, "created_at", &page);
        let v = self.fetch_scoped(scope.tenant_id, q, rows::chat).await?;
        Ok(Page::from_rows(v, page.limit, |c| Cursor {
            ts_us: c.created_at.timestamp_micros(),
            id: c.id.0,
        }))
    }

    async fn get_chat(&self, scope: Scope, id: ChatId) -> AppResult<Option<Chat>> {
        let mut q = select(format!("SELECT {CHAT_COLS} FROM chats WHERE tenant_id = "));
        q.push_bind(scope.tenant_id.0)
            .push(" AND project_id = ")
            .push_bind(scope.project_id.0)
            .push(" AND id = ")
            .push_bind(id.0);
        self.fetch_one_scoped(scope.tenant_id, q, rows::chat).await
    }

    async fn list_participants(&self, scope: Scope, chat: ChatId) -> AppResult<Vec<Participant>> {
        let mut q =
            select("SELECT wa_id, role, left_at FROM chat_participants WHERE tenant_id = ".into());
        q.push_bind(scope.tenant_id.0)
            .push(" AND chat_id = ")
            .push_bind(chat.0)
            .push(" ORDER BY wa_id");
        self.fetch_scoped(scope.tenant_id, q, |r| {
            Ok(Participant {
                wa_id: r.try_get("wa_id")?,
                role: r.try_get("role")?,
                left_at: r.try_get("left_at")?,
            })
        })
        .await
    }

    async fn list_sessions(
        &self,
        scope: Scope,
        f: &ConversationFilter,
        page: PageRequest,
    ) -> AppResult<Page<Session>> {
        let mut q = select(format!(
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
        let v = self.fetch_scoped(scope.tenant_id, q, rows::session).await?;
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
        let mut q = select(format!(
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
        let v = self
            .fetch_scoped(scope.tenant_id, q, rows::contact_event)
            .await?;
        Ok(Page::from_rows(v, page.limit, |e| Cursor {
            ts_us: e.occurred_at.timestamp_micros(),
            id: e.id.0,
        }))
    }

    async fn list_events(&self, scope: Scope, page: PageRequest) -> AppResult<Page<EventEnvelope>> {
        let after = page.after.map(|c| c.ts_us).unwrap_or(0);
        let mut q = select(format!(
            "SELECT {EVENT_COLS} FROM outbox WHERE tenant_id = "
        ));
        q.push_bind(scope.tenant_id.0)
            .push(" AND seq > ")
            .push_bind(after)
            .push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let v = self
            .fetch_scoped(scope.tenant_id, q, |r| {
                Ok((r.try_get::<i64, _>("seq")?, rows::envelope(r)?))
            })
            .await?;
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
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EVENT_COLS} FROM ventros_claim_outbox($1, $2, $3) ORDER BY seq"
        )))
        .bind(i32::try_from(limit).unwrap_or(i32::MAX))
        .bind(now)
        .bind(lease_until)
        .fetch_all(&self.pool)
        .await
        .map_err(db_err)?;
        rows.iter()
            .map(|r| {
                Ok(OutboxRow {
                    seq: r.try_get("seq")?,
                    envelope: rows::envelope(r)?,
                    attempts: r.try_get("attempts")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
            .map_err(db_err)
    }

    async fn mark_published(&self, seqs: &[i64], now: DateTime<Utc>) -> AppResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        sqlx::query("SELECT ventros_mark_published($1, $2)")
            .bind(seqs)
            .bind(now)
            .execute(&self.pool)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn outbox_backlog(&self) -> AppResult<(i64, Option<DateTime<Utc>>)> {
        let r = sqlx::query("SELECT n, oldest FROM ventros_outbox_backlog()")
            .fetch_one(&self.pool)
            .await
            .map_err(db_err)?;
        Ok((
            r.try_get("n").map_err(db_err)?,
            r.try_get("oldest").map_err(db_err)?,
        ))
    }

    async fn apply_timeline(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        entry: Option<&ContactEvent>,
    ) -> AppResult<bool> {
        let mut tx = begin_tenant(&self.pool, event.tenant_id).await?;
        let fresh = sqlx::query("INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, now()) ON CONFLICT DO NOTHING")
            .bind(consumer)
            .bind(event.id.0)
            .bind(event.tenant_id.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected()
            == 1;
        if !fresh {
            return Ok(false);
        }
        if let Some(e) = entry {
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO contact_events ({CONTACT_EVENT_COLS}) SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 WHERE EXISTS (SELECT 1 FROM contacts WHERE tenant_id = $2 AND id = $4)"
            )))
            .bind(e.id.0)
            .bind(e.tenant_id.0)
            .bind(e.project_id.0)
            .bind(e.contact_id.0)
            .bind(&e.event_type)
            .bind(&e.category)
            .bind(&e.summary)
            .bind(&e.payload)
            .bind(e.source_event_id.0)
            .bind(e.occurred_at)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        tx.commit().await.map_err(db_err)?;
        Ok(true)
    }

    async fn consumer_handled(&self, consumer: &str, event: EventId) -> AppResult<bool> {
        sqlx::query("SELECT ventros_consumer_handled($1, $2) AS handled")
            .bind(consumer)
            .bind(event.0)
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get("handled"))
            .map_err(db_err)
    }
}
