//! WhatsApp channels. Deleting one is soft: its chats and messages stay readable.

use crate::dialect::{DbStore, cross_tenant};
use crate::sql::rows::{self, CHANNEL_COLS, WEBHOOK_CHANNEL_COLS};
use crate::sql::{Ts, by_id_in, db_err, page_by, paginate, select_in};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::AssertSqlSafe;
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::{ChannelStore, WebhookChannel};
use ventros_domain::channel::Channel;
use ventros_domain::event::EventEnvelope;
use ventros_domain::ids::ChannelId;
use ventros_domain::tenancy::Scope;

#[async_trait]
impl ChannelStore for DbStore {
    async fn insert_channel(&self, c: &Channel, event: &EventEnvelope) -> AppResult<()> {
        let q = sqlx::query(AssertSqlSafe(format!("INSERT INTO channels ({CHANNEL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)")))
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
            .bind(Ts(c.created_at))
            .bind(Ts(c.updated_at))
            .bind(c.deleted_at.map(Ts))
            .bind(c.activated_at.map(Ts))
            .bind(c.confirm_timeout_seconds)
            .bind(c.max_messages_per_minute)
            .bind(c.human_pacing);
        self.write_with_events(c.tenant_id, q, std::slice::from_ref(event), c.created_at)
            .await?;
        Ok(())
    }

    async fn get_channel(&self, scope: Scope, id: ChannelId) -> AppResult<Option<Channel>> {
        let mut q = by_id_in(CHANNEL_COLS, "channels", scope, id.0);
        q.push(" AND deleted_at IS NULL");
        self.one(scope.tenant_id, q.build(), rows::channel).await
    }

    async fn list_channels(&self, scope: Scope, page: PageRequest) -> AppResult<Page<Channel>> {
        let mut q = select_in(CHANNEL_COLS, "channels", scope);
        q.push(" AND deleted_at IS NULL");
        paginate(&mut q, "created_at", false, &page);
        let v = self.all(scope.tenant_id, q.build(), rows::channel).await?;
        Ok(page_by(v, page.limit, |c| (c.created_at, c.id.0)))
    }

    async fn update_channel(&self, c: &Channel, events: &[EventEnvelope]) -> AppResult<()> {
        let q = sqlx::query("UPDATE channels SET name = $1, waha_base_url = $2, waha_api_key = $3, waha_session = $4, webhook_hmac_key = $5, debounce_timeout_ms = $6, session_timeout_seconds = $7, message_group_max_age_ms = $8, import_strategy = $9, updated_at = $10, confirm_timeout_seconds = $14, max_messages_per_minute = $15, human_pacing = $16 WHERE tenant_id = $11 AND project_id = $12 AND id = $13 AND deleted_at IS NULL")
            .bind(&c.name)
            .bind(&c.waha_base_url)
            .bind(c.waha_api_key.expose().to_string())
            .bind(&c.waha_session)
            .bind(c.webhook_hmac_key.as_ref().map(|k| k.expose().to_string()))
            .bind(c.debounce_timeout_ms)
            .bind(c.session_timeout_seconds)
            .bind(c.message_group_max_age_ms)
            .bind(c.import_strategy.as_str())
            .bind(Ts(c.updated_at))
            .bind(c.tenant_id.0)
            .bind(c.project_id.0)
            .bind(c.id.0)
            .bind(c.confirm_timeout_seconds)
            .bind(c.max_messages_per_minute)
            .bind(c.human_pacing);
        self.write_with_events(c.tenant_id, q, events, c.updated_at)
            .await?;
        Ok(())
    }

    async fn delete_channel(
        &self,
        scope: Scope,
        id: ChannelId,
        at: DateTime<Utc>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE channels SET deleted_at = $1, updated_at = $1 WHERE tenant_id = $2 AND project_id = $3 AND id = $4 AND deleted_at IS NULL")
            .bind(Ts(at))
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0);
        Ok(self
            .write_with_events(scope.tenant_id, q, std::slice::from_ref(event), at)
            .await?
            > 0)
    }

    async fn set_channel_activated(
        &self,
        scope: Scope,
        id: ChannelId,
        activated_at: Option<DateTime<Utc>>,
        status: Option<&str>,
        event: &EventEnvelope,
    ) -> AppResult<bool> {
        let q = sqlx::query("UPDATE channels SET activated_at = $1, status = COALESCE($6, status), updated_at = $2 WHERE tenant_id = $3 AND project_id = $4 AND id = $5 AND deleted_at IS NULL")
            .bind(activated_at.map(Ts))
            .bind(Ts(event.occurred_at))
            .bind(scope.tenant_id.0)
            .bind(scope.project_id.0)
            .bind(id.0)
            .bind(status);
        Ok(self
            .write_with_events(
                scope.tenant_id,
                q,
                std::slice::from_ref(event),
                event.occurred_at,
            )
            .await?
            > 0)
    }

    async fn webhook_channel(&self, id: ChannelId) -> AppResult<Option<WebhookChannel>> {
        sqlx::query(AssertSqlSafe(format!(
            "SELECT {WEBHOOK_CHANNEL_COLS} FROM {} AS c",
            cross_tenant::WEBHOOK_CHANNEL
        )))
        .bind(id.0)
        .fetch_optional(self.any_tenant_reads())
        .await
        .map_err(db_err)?
        .map(|r| rows::webhook_channel(&r, id))
        .transpose()
        .map_err(db_err)
    }
}
