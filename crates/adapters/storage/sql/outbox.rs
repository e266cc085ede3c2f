//! The outbox: the relay's claims across tenants, the event feed of one tenant, and the
//! timeline consumer's deduplicated writes.

use crate::dialect::{DbStore, cross_tenant, id_list};
use crate::sql::rows::{self, CONTACT_EVENT_COLS, EVENT_COLS};
use crate::sql::{Ts, db_err, select};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};
use ventros_app::error::AppResult;
use ventros_app::page::{Cursor, Page, PageRequest};
use ventros_app::ports::{EventFilter, EventLog, OutboxRow, OutboxStore, TimelineStore};
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::EventId;
use ventros_domain::tenancy::Scope;
use ventros_domain::timeline::ContactEvent;

#[async_trait]
impl OutboxStore for DbStore {
    async fn claim_outbox(
        &self,
        limit: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<Vec<OutboxRow>> {
        let mut out = self
            .claim(
                cross_tenant::claim_outbox(EVENT_COLS),
                limit,
                now,
                lease_until,
                &[],
                rows::outbox_row,
            )
            .await?;
        out.sort_by_key(|r| r.seq);
        Ok(out)
    }

    async fn mark_published(&self, seqs: &[i64], now: DateTime<Utc>) -> AppResult<()> {
        if seqs.is_empty() {
            return Ok(());
        }
        sqlx::query(cross_tenant::MARK_PUBLISHED)
            .bind(id_list(seqs))
            .bind(Ts(now))
            .execute(self.any_tenant_writes())
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

#[async_trait]
impl EventLog for DbStore {
    async fn list_events(
        &self,
        scope: Scope,
        f: &EventFilter,
        page: PageRequest,
    ) -> AppResult<Page<EventEnvelope>> {
        let after = page
            .after
            .map(|c| c.ts_us)
            .unwrap_or(0)
            .max(f.after_position.unwrap_or(0));
        let mut q = select(EVENT_COLS, "outbox", scope.tenant_id);
        q.push(" AND seq > ").push_bind(after);
        match f.event_type.as_deref().map(|t| (t, t.strip_suffix('*'))) {
            Some((_, Some(""))) | None => {}
            Some((_, Some(prefix))) => {
                // `_` is a LIKE wildcard; event types use it (`message_group.…`).
                let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('_', "\\_"));
                q.push(" AND event_type LIKE ")
                    .push_bind(pattern)
                    .push(" ESCAPE '\\'");
            }
            Some((t, None)) => {
                q.push(" AND event_type = ").push_bind(t.to_string());
            }
        }
        if let Some(a) = f.aggregate_id {
            q.push(" AND aggregate_id = ").push_bind(a);
        }
        q.push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(page.limit) + 1);
        let v = self
            .all(scope.tenant_id, q.build(), |r| {
                Ok((r.try_get::<i64, _>("seq")?, rows::envelope(r)?))
            })
            .await?;
        // The feed's cursor carries the outbox sequence number where others carry a time.
        let p = Page::from_rows(v, page.limit, |(seq, e)| Cursor {
            ts_us: *seq,
            id: e.id.0,
        });
        Ok(Page {
            data: p.data.into_iter().map(|(_, e)| e).collect(),
            next_cursor: p.next_cursor,
        })
    }

    async fn feed_end(&self, scope: Scope) -> AppResult<i64> {
        let mut q = select("COALESCE(MAX(seq), 0) AS seq", "outbox", scope.tenant_id);
        Ok(self
            .one(scope.tenant_id, q.build(), |r| r.try_get::<i64, _>("seq"))
            .await?
            .unwrap_or(0))
    }

    async fn event_position(&self, scope: Scope, id: EventId) -> AppResult<Option<i64>> {
        let mut q = select("seq", "outbox", scope.tenant_id);
        q.push(" AND id = ").push_bind(id.0);
        self.one(scope.tenant_id, q.build(), |r| r.try_get::<i64, _>("seq"))
            .await
    }
}

/// Records in the caller's transaction that `consumer` handled `event`; `false` when it had
/// already (the consumer then writes nothing).
pub(crate) async fn mark_processed(
    conn: &mut crate::dialect::DbConn,
    consumer: &str,
    event: &EventEnvelope,
) -> AppResult<bool> {
    let n = sqlx::query("INSERT INTO processed_events (consumer, event_id, tenant_id, processed_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING")
        .bind(consumer)
        .bind(event.id.0)
        .bind(event.tenant_id.0)
        .bind(Ts(Utc::now()))
        .execute(conn)
        .await
        .map_err(db_err)?
        .rows_affected();
    Ok(n == 1)
}

#[async_trait]
impl TimelineStore for DbStore {
    async fn apply_timeline(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        entry: Option<&ContactEvent>,
    ) -> AppResult<bool> {
        let mut tx = self.write(event.tenant_id).await?;
        if !mark_processed(tx.conn(), consumer, event).await? {
            return Ok(false);
        }
        if let Some(e) = entry {
            // The contact may be gone (or never stored); then there is nothing to attach to.
            // A contact merged into another has its entries on the survivor.
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO contact_events ({CONTACT_EVENT_COLS}) SELECT $1, $2, $3, COALESCE(c.merged_into, c.id), $5, $6, $7, $8, $9, $10 FROM contacts c WHERE c.tenant_id = $2 AND c.id = $4"
            )))
            .bind(e.id.0)
            .bind(e.tenant_id.0)
            .bind(e.project_id.0)
            .bind(e.contact_id.0)
            .bind(&e.event_type)
            .bind(&e.category)
            .bind(&e.summary)
            .bind(Json(&e.payload))
            .bind(e.source_event_id.0)
            .bind(Ts(e.occurred_at))
            .execute(tx.conn())
            .await
            .map_err(db_err)?;
        }
        tx.commit().await?;
        Ok(true)
    }

    async fn consumer_handled(&self, consumer: &str, event: EventId) -> AppResult<bool> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT handled FROM {} AS h",
            cross_tenant::CONSUMER_HANDLED
        )))
        .bind(consumer)
        .bind(event.0)
        .fetch_one(self.any_tenant_reads())
        .await
        .and_then(|r| r.try_get("handled"))
        .map_err(db_err)
    }
}
