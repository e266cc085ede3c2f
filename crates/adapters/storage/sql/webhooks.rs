//! Webhook subscriptions, their deliveries and attempts.

use crate::dialect::{DbConn, DbStore};
use crate::sql::jobs::arm_job_row;
use crate::sql::rows::{self, ATTEMPT_COLS, DELIVERY_COLS, EVENT_COLS, WEBHOOK_COLS};
use crate::sql::{Ts, by_id_in, db_err, page_by, paginate, select, select_in};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::{DeliveryFilter, SubscriptionHealth, WebhookStore};
use ventros_domain::event::EventEnvelope;
use ventros_domain::job::Job;
use ventros_domain::tenancy::Scope;
use ventros_domain::webhook::{Attempt, Delivery, DeliveryJob, Subscription};

/// Frees the in-flight slot a delivery holds, if any.
async fn free_slot(conn: &mut DbConn, d: &Delivery) -> AppResult<()> {
    sqlx::query(
        "DELETE FROM webhook_slots WHERE tenant_id = $1 AND subscription_id = $2 AND delivery_id = $3",
    )
    .bind(d.tenant_id.0)
    .bind(d.subscription_id)
    .bind(d.id)
    .execute(conn)
    .await
    .map_err(db_err)?;
    Ok(())
}

async fn write_subscription(conn: &mut DbConn, s: &Subscription, insert: bool) -> AppResult<()> {
    let sql = if insert {
        format!(
            "INSERT INTO webhook_subscriptions ({WEBHOOK_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        )
    } else {
        "UPDATE webhook_subscriptions SET tenant_id = $2, project_id = $3, url = $4, events = $5, description = $6, enabled = $7, disabled_reason = $8, secret = $9, previous_secret = $10, previous_secret_until = $11, failing_since = $12, created_at = $13, updated_at = $14 WHERE id = $1 AND tenant_id = $2".to_string()
    };
    sqlx::query(AssertSqlSafe(sql))
        .bind(s.id)
        .bind(s.tenant_id.0)
        .bind(s.project_id.0)
        .bind(&s.url)
        .bind(Json(&s.events))
        .bind(&s.description)
        .bind(s.enabled)
        .bind(&s.disabled_reason)
        .bind(s.secret.expose())
        .bind(s.previous_secret.as_ref().map(|p| p.expose().to_string()))
        .bind(s.previous_secret_until.map(Ts))
        .bind(s.failing_since.map(Ts))
        .bind(Ts(s.created_at))
        .bind(Ts(s.updated_at))
        .execute(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}

async fn insert_delivery(conn: &mut DbConn, d: &Delivery) -> AppResult<bool> {
    let n = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO webhook_deliveries ({DELIVERY_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) ON CONFLICT DO NOTHING"
    )))
    .bind(d.id)
    .bind(d.tenant_id.0)
    .bind(d.project_id.0)
    .bind(d.subscription_id)
    .bind(d.event_id.0)
    .bind(&d.event_type)
    .bind(d.aggregate_id)
    .bind(Ts(d.occurred_at))
    .bind(d.status.as_str())
    .bind(d.attempts)
    .bind(d.next_attempt_at.map(Ts))
    .bind(d.last_status_code)
    .bind(&d.last_error)
    .bind(Ts(d.created_at))
    .bind(Ts(d.updated_at))
    .bind(d.delivered_at.map(Ts))
    .execute(conn)
    .await
    .map_err(db_err)?
    .rows_affected();
    Ok(n == 1)
}

#[async_trait]
impl WebhookStore for DbStore {
    async fn insert_subscription(&self, s: &Subscription, event: &EventEnvelope) -> AppResult<()> {
        let mut tx = self.write(s.tenant_id).await?;
        write_subscription(tx.conn(), s, true).await?;
        tx.append(std::slice::from_ref(event), s.created_at).await?;
        tx.commit().await
    }

    async fn update_subscription(
        &self,
        s: &Subscription,
        events: &[EventEnvelope],
    ) -> AppResult<()> {
        let mut tx = self.write(s.tenant_id).await?;
        write_subscription(tx.conn(), s, false).await?;
        tx.append(events, s.updated_at).await?;
        tx.commit().await
    }

    async fn append_webhook_events(&self, events: &[EventEnvelope]) -> AppResult<()> {
        let Some(first) = events.first() else {
            return Ok(());
        };
        let mut tx = self.write(first.tenant_id).await?;
        tx.append(events, first.occurred_at).await?;
        tx.commit().await
    }

    async fn delete_subscription(
        &self,
        scope: Scope,
        id: Uuid,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query(
            "DELETE FROM webhook_subscriptions WHERE tenant_id = $1 AND project_id = $2 AND id = $3",
        )
        .bind(scope.tenant_id.0)
        .bind(scope.project_id.0)
        .bind(id);
        let n = self
            .write_with_events(
                scope.tenant_id,
                q,
                std::slice::from_ref(event),
                event.occurred_at,
            )
            .await?;
        Ok(n == 1)
    }

    async fn get_subscription(&self, scope: Scope, id: Uuid) -> AppResult<Option<Subscription>> {
        let mut q = by_id_in(WEBHOOK_COLS, "webhook_subscriptions", scope, id);
        self.one(scope.tenant_id, q.build(), rows::webhook).await
    }

    async fn list_subscriptions(
        &self,
        scope: Scope,
        page: PageRequest,
    ) -> AppResult<Page<Subscription>> {
        let mut q = select_in(WEBHOOK_COLS, "webhook_subscriptions", scope);
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::webhook).await?;
        Ok(page_by(v, page.limit, |s| (s.created_at, s.id)))
    }

    async fn enabled_subscriptions(&self, scope: Scope) -> AppResult<Vec<Subscription>> {
        let mut q = select_in(WEBHOOK_COLS, "webhook_subscriptions", scope);
        q.push(" AND enabled = ").push_bind(true);
        self.all(scope.tenant_id, q.build(), rows::webhook).await
    }

    async fn fan_out(
        &self,
        consumer: &str,
        event: &EventEnvelope,
        deliveries: &[Delivery],
        jobs: &[Job],
    ) -> AppResult<bool> {
        let mut tx = self.write(event.tenant_id).await?;
        if !crate::sql::outbox::mark_processed(tx.conn(), consumer, event).await? {
            return Ok(false);
        }
        let mut armed = false;
        for (d, j) in deliveries.iter().zip(jobs) {
            if insert_delivery(tx.conn(), d).await? {
                arm_job_row(tx.conn(), j).await?;
                armed = true;
            }
        }
        tx.commit().await?;
        if armed {
            self.deliveries_signal.notify_one();
        }
        Ok(true)
    }

    async fn delivery_event(&self, d: &Delivery) -> AppResult<Option<EventEnvelope>> {
        let mut q = select(EVENT_COLS, "outbox", d.tenant_id);
        q.push(" AND id = ").push_bind(d.event_id.0);
        self.one(d.tenant_id, q.build(), rows::envelope).await
    }

    async fn get_delivery(&self, scope: Scope, id: Uuid) -> AppResult<Option<Delivery>> {
        let mut q = by_id_in(DELIVERY_COLS, "webhook_deliveries", scope, id);
        self.one(scope.tenant_id, q.build(), rows::delivery).await
    }

    async fn list_deliveries(
        &self,
        scope: Scope,
        subscription: Uuid,
        f: &DeliveryFilter,
        page: PageRequest,
    ) -> AppResult<Page<Delivery>> {
        let mut q = select_in(DELIVERY_COLS, "webhook_deliveries", scope);
        q.push(" AND subscription_id = ").push_bind(subscription);
        if let Some(s) = f.status {
            q.push(" AND status = ").push_bind(s.as_str());
        }
        if let Some(t) = &f.event_type {
            q.push(" AND event_type = ").push_bind(t.clone());
        }
        if let Some(t) = f.since {
            q.push(" AND occurred_at >= ").push_bind(Ts(t));
        }
        if let Some(t) = f.until {
            q.push(" AND occurred_at < ").push_bind(Ts(t));
        }
        paginate(&mut q, "occurred_at", true, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::delivery).await?;
        Ok(page_by(v, page.limit, |d| (d.occurred_at, d.id)))
    }

    async fn list_attempts(&self, scope: Scope, delivery: Uuid) -> AppResult<Vec<Attempt>> {
        let mut q = select(ATTEMPT_COLS, "webhook_attempts", scope.tenant_id);
        q.push(" AND delivery_id = ")
            .push_bind(delivery)
            .push(" ORDER BY attempted_at, id");
        self.all(scope.tenant_id, q.build(), rows::attempt).await
    }

    async fn acquire_delivery_slot(
        &self,
        d: &Delivery,
        cap: u32,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    ) -> AppResult<bool> {
        let mut tx = self.write(d.tenant_id).await?;
        let mut got = false;
        // Slots are tried in order, so concurrent claimers lock rows in the same order.
        for slot in 0..i32::try_from(cap.max(1)).unwrap_or(i32::MAX) {
            let taken = sqlx::query(
                "INSERT INTO webhook_slots AS s (tenant_id, subscription_id, slot, delivery_id, leased_until) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (subscription_id, slot) DO UPDATE \
                 SET tenant_id = $1, delivery_id = $4, leased_until = $5 \
                 WHERE s.leased_until <= $6 OR s.delivery_id = $4 RETURNING slot",
            )
            .bind(d.tenant_id.0)
            .bind(d.subscription_id)
            .bind(slot)
            .bind(d.id)
            .bind(Ts(lease_until))
            .bind(Ts(now))
            .fetch_optional(tx.conn())
            .await
            .map_err(db_err)?;
            if taken.is_some() {
                got = true;
                break;
            }
        }
        tx.commit().await?;
        Ok(got)
    }

    async fn release_delivery_slot(&self, d: &Delivery) -> AppResult<()> {
        let mut tx = self.write(d.tenant_id).await?;
        free_slot(tx.conn(), d).await?;
        tx.commit().await
    }

    async fn earlier_pending(&self, d: &Delivery) -> AppResult<bool> {
        let mut q = select("id", "webhook_deliveries", d.tenant_id);
        q.push(" AND subscription_id = ")
            .push_bind(d.subscription_id)
            .push(" AND aggregate_id = ")
            .push_bind(d.aggregate_id)
            .push(" AND status = 'pending' AND (occurred_at < ")
            .push_bind(Ts(d.occurred_at))
            .push(" OR (occurred_at = ")
            .push_bind(Ts(d.occurred_at))
            .push(" AND event_id < ")
            .push_bind(d.event_id.0)
            .push(")) LIMIT 1");
        let found = self
            .one(d.tenant_id, q.build(), |r| r.try_get::<Uuid, _>("id"))
            .await?;
        Ok(found.is_some())
    }

    async fn events_between(
        &self,
        scope: Scope,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> AppResult<Vec<EventEnvelope>> {
        let mut q = select_in(EVENT_COLS, "outbox", scope);
        q.push(" AND occurred_at >= ")
            .push_bind(Ts(since))
            .push(" AND occurred_at < ")
            .push_bind(Ts(until))
            .push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(limit));
        self.all(scope.tenant_id, q.build(), rows::envelope).await
    }

    async fn replay(&self, deliveries: &[Delivery], now: DateTime<Utc>) -> AppResult<u64> {
        let Some(first) = deliveries.first() else {
            return Ok(0);
        };
        let mut tx = self.write(first.tenant_id).await?;
        for d in deliveries {
            let id = if insert_delivery(tx.conn(), d).await? {
                d.id
            } else {
                sqlx::query("UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = NULL, updated_at = $1 WHERE tenant_id = $2 AND subscription_id = $3 AND event_id = $4 RETURNING id")
                    .bind(Ts(now))
                    .bind(d.tenant_id.0)
                    .bind(d.subscription_id)
                    .bind(d.event_id.0)
                    .fetch_one(tx.conn())
                    .await
                    .and_then(|r| r.try_get::<Uuid, _>("id"))
                    .map_err(db_err)?
            };
            let queued = Delivery { id, ..d.clone() };
            arm_job_row(tx.conn(), &DeliveryJob::job(&queued, now, now)).await?;
        }
        tx.commit().await?;
        Ok(deliveries.len() as u64)
    }

    async fn prune_webhook_log(&self, before: DateTime<Utc>) -> AppResult<u64> {
        self.prune_webhook_log_rows(before).await
    }

    async fn record_attempt(
        &self,
        d: &Delivery,
        attempt: Option<&Attempt>,
        health: Option<&SubscriptionHealth>,
        next: Option<&Job>,
    ) -> AppResult<()> {
        let mut tx = self.write(d.tenant_id).await?;
        sqlx::query("UPDATE webhook_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, last_status_code = $4, last_error = $5, updated_at = $6, delivered_at = $7 WHERE tenant_id = $8 AND id = $9")
            .bind(d.status.as_str())
            .bind(d.attempts)
            .bind(d.next_attempt_at.map(Ts))
            .bind(d.last_status_code)
            .bind(&d.last_error)
            .bind(Ts(d.updated_at))
            .bind(d.delivered_at.map(Ts))
            .bind(d.tenant_id.0)
            .bind(d.id)
            .execute(tx.conn())
            .await
            .map_err(db_err)?;
        if let Some(a) = attempt {
            // The attempt is over: its in-flight slot is free in the same commit.
            free_slot(tx.conn(), d).await?;
            sqlx::query(AssertSqlSafe(format!(
                "INSERT INTO webhook_attempts (tenant_id, {ATTEMPT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
            )))
            .bind(d.tenant_id.0)
            .bind(a.id)
            .bind(a.delivery_id)
            .bind(Ts(a.attempted_at))
            .bind(a.status_code)
            .bind(a.duration_ms)
            .bind(&a.response_excerpt)
            .bind(&a.error)
            .execute(tx.conn())
            .await
            .map_err(db_err)?;
        }
        let (tenant, id) = (d.tenant_id.0, d.subscription_id);
        match health {
            None => {}
            Some(SubscriptionHealth::Healthy) => {
                sqlx::query("UPDATE webhook_subscriptions SET failing_since = NULL WHERE tenant_id = $1 AND id = $2 AND failing_since IS NOT NULL")
                    .bind(tenant)
                    .bind(id)
                    .execute(tx.conn())
                    .await
                    .map_err(db_err)?;
            }
            Some(SubscriptionHealth::Failing { since }) => {
                sqlx::query("UPDATE webhook_subscriptions SET failing_since = $3 WHERE tenant_id = $1 AND id = $2 AND failing_since IS NULL")
                    .bind(tenant)
                    .bind(id)
                    .bind(Ts(*since))
                    .execute(tx.conn())
                    .await
                    .map_err(db_err)?;
            }
            Some(SubscriptionHealth::Disable {
                reason,
                at,
                failing_since,
                event,
            }) => {
                // Only the attempt that finds it enabled disables it and says so.
                let n = sqlx::query("UPDATE webhook_subscriptions SET enabled = false, disabled_reason = $3, updated_at = $4, failing_since = COALESCE(failing_since, $5) WHERE tenant_id = $1 AND id = $2 AND enabled")
                    .bind(tenant)
                    .bind(id)
                    .bind(reason)
                    .bind(Ts(*at))
                    .bind(failing_since.map(Ts))
                    .execute(tx.conn())
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if n > 0 {
                    tx.append(std::slice::from_ref(event), *at).await?;
                }
            }
        }
        if let Some(j) = next {
            arm_job_row(tx.conn(), j).await?;
        }
        tx.commit().await
    }
}
