//! Request and response shapes that differ from the domain types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ventros_app::page::Page;
use ventros_domain::channel::Channel;
use ventros_domain::ids::ChannelId;

/// A page of results; pass `next_cursor` back as `cursor` for the next page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ListResponse<T: Serialize + utoipa::ToSchema> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T: Serialize + utoipa::ToSchema> From<Page<T>> for ListResponse<T> {
    fn from(p: Page<T>) -> Self {
        ListResponse {
            data: p.data,
            next_cursor: p.next_cursor,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 200, default 50.
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WahaConfigIn {
    pub base_url: String,
    pub api_key: String,
    pub session: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateChannelIn {
    pub name: String,
    pub waha: WahaConfigIn,
    pub webhook_hmac_key: Option<String>,
    pub debounce_timeout_ms: Option<i64>,
    pub session_timeout_seconds: Option<i64>,
    pub import_strategy: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WahaConfigOut {
    pub base_url: String,
    pub session: String,
}

/// A channel as clients see it: no API key, no HMAC key, plus the URL to give WAHA.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelOut {
    pub id: ChannelId,
    pub name: String,
    pub waha: WahaConfigOut,
    pub status: String,
    pub webhook_url: String,
    pub webhook_signed: bool,
    pub debounce_timeout_ms: i64,
    pub session_timeout_seconds: i64,
    pub import_strategy: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ChannelOut {
    pub fn new(c: Channel, public_url: &str) -> Self {
        ChannelOut {
            webhook_url: format!(
                "{}/webhooks/waha/{}",
                public_url.trim_end_matches('/'),
                c.id
            ),
            id: c.id,
            name: c.name,
            waha: WahaConfigOut {
                base_url: c.waha_base_url,
                session: c.waha_session,
            },
            status: c.status,
            webhook_signed: c.webhook_hmac_key.is_some(),
            debounce_timeout_ms: c.debounce_timeout_ms,
            session_timeout_seconds: c.session_timeout_seconds,
            import_strategy: c.import_strategy.as_str().to_string(),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}
