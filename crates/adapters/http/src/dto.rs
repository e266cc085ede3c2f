//! Request and response shapes that differ from the domain types.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ventros_app::page::Page;
use ventros_domain::agent::AgentKind;
use ventros_domain::channel::Channel;
use ventros_domain::chat::{Chat, Participant};
use ventros_domain::contact::Contact;
use ventros_domain::ids::{
    ApiKeyId, ChannelId, ContactId, PipelineId, ProjectId, TenantId, UserId,
};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::{ApiKey, Role, User};

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
    #[param(minimum = 1, maximum = 200)]
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
    /// 1000 to 3600000; default 120000.
    pub message_group_max_age_ms: Option<i64>,
    pub import_strategy: Option<String>,
    /// Seconds a send may stay unconfirmed before WAHA is asked about it: 10 to 3600,
    /// default 60.
    pub confirm_timeout_seconds: Option<i64>,
    /// Messages sent per minute at most (more wait their turn): 1 to 1000, default 20.
    pub max_messages_per_minute: Option<i64>,
    /// Before each send: seen, typing for a while in proportion to its length, then the
    /// message. Default false.
    pub human_pacing: Option<bool>,
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
    pub message_group_max_age_ms: i64,
    pub import_strategy: String,
    /// Whether the channel passed its activation checks (`POST …/activate`); only an active
    /// channel sends.
    pub active: bool,
    pub activated_at: Option<DateTime<Utc>>,
    pub confirm_timeout_seconds: i64,
    pub max_messages_per_minute: i64,
    pub human_pacing: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// On creation: what may stop WAHA from reaching `webhook_url`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// The URL WAHA must post a channel's events to.
pub fn webhook_url(public_url: &str, id: ChannelId) -> String {
    format!("{}/webhooks/waha/{id}", public_url.trim_end_matches('/'))
}

impl ChannelOut {
    pub fn new(c: Channel, public_url: &str) -> Self {
        let active = c.is_active();
        ChannelOut {
            webhook_url: webhook_url(public_url, c.id),
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
            message_group_max_age_ms: c.message_group_max_age_ms,
            import_strategy: c.import_strategy.as_str().to_string(),
            active,
            activated_at: c.activated_at,
            confirm_timeout_seconds: c.confirm_timeout_seconds,
            max_messages_per_minute: c.max_messages_per_minute,
            human_pacing: c.human_pacing,
            created_at: c.created_at,
            updated_at: c.updated_at,
            warnings: Vec::new(),
        }
    }
}

/// Deserialises a field that may be absent (`None`), `null` (`Some(None)`) or a value.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateChannelIn {
    pub name: Option<String>,
    pub waha: Option<UpdateWahaIn>,
    /// `null` turns signature checks off.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub webhook_hmac_key: Option<Option<String>>,
    pub debounce_timeout_ms: Option<i64>,
    pub session_timeout_seconds: Option<i64>,
    /// 1000 to 3600000; default 120000.
    pub message_group_max_age_ms: Option<i64>,
    pub import_strategy: Option<String>,
    /// Seconds a send may stay unconfirmed before WAHA is asked about it: 10 to 3600,
    /// default 60.
    pub confirm_timeout_seconds: Option<i64>,
    /// Messages sent per minute at most (more wait their turn): 1 to 1000, default 20.
    pub max_messages_per_minute: Option<i64>,
    /// Before each send: seen, typing for a while in proportion to its length, then the
    /// message. Default false.
    pub human_pacing: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateWahaIn {
    pub base_url: Option<String>,
    pub api_key: Option<String>,
    pub session: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelStatusOut {
    pub id: ChannelId,
    /// WAHA session status: `WORKING`, `SCAN_QR_CODE`, `STARTING`, `STOPPED`, `FAILED`, as
    /// WAHA answered just now, or when it could not be asked (`live: false`) the status it
    /// last reported by webhook (`UNKNOWN` before any).
    pub status: String,
    /// Whether `status` comes from asking WAHA just now.
    pub live: bool,
    /// Why WAHA could not be asked, when it could not.
    pub error: Option<String>,
    /// The status WAHA last reported by webhook, and when the channel last changed.
    pub reported_status: String,
    pub updated_at: DateTime<Utc>,
    pub active: bool,
}

/// The outcome of `POST /v1/channels/{id}/activate`.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActivationOut {
    /// `active`.
    pub status: &'static str,
    pub checks: Vec<ventros_app::usecases::channel_activation::Check>,
    pub channel: ChannelOut,
}

/// The webhook written into the WAHA session (`hmac.key` masked).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookWrittenOut {
    pub webhook: serde_json::Value,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginIn {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TokenOut {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
}

/// A user as clients see it (never the password hash).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UserOut {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl From<User> for UserOut {
    fn from(u: User) -> Self {
        UserOut {
            id: u.id,
            email: u.email,
            name: u.name,
            role: u.role,
            created_at: u.created_at,
            disabled_at: u.disabled_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeOut {
    pub tenant_id: TenantId,
    pub project_id: ProjectId,
    pub role: Role,
    pub permissions: Vec<Permission>,
    /// Set when authenticated as a user.
    pub user: Option<UserOut>,
    /// Set when authenticated with an API key.
    pub api_key_id: Option<ApiKeyId>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserIn {
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    pub name: String,
    pub role: Role,
}

/// An API key as listed: only its prefix, never the key or its hash.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyOut {
    pub id: ApiKeyId,
    pub project_id: ProjectId,
    pub name: String,
    pub prefix: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyOut {
    fn from(k: ApiKey) -> Self {
        ApiKeyOut {
            id: k.id,
            project_id: k.project_id,
            name: k.name,
            prefix: k.prefix,
            role: k.role,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

/// A new API key: `key` is shown only in this response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApiKeyCreatedOut {
    #[serde(flatten)]
    pub api_key: ApiKeyOut,
    pub key: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKeyIn {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateProjectIn {
    pub name: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAgentIn {
    pub kind: AgentKind,
    pub name: String,
    /// Required for `human` agents, forbidden for `bot` and `system`.
    pub user_id: Option<UserId>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAgentIn {
    pub name: Option<String>,
    pub active: Option<bool>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContactIn {
    pub name: String,
    /// E.164, e.g. `+5511999998888`; unique in the tenant.
    pub phone: String,
    pub email: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A JSON object of at most 16 KiB.
    #[schema(value_type = Option<Object>)]
    pub custom_fields: Option<serde_json::Value>,
    /// A pipeline of this project.
    pub pipeline_id: Option<PipelineId>,
}

/// Fields to change; `null` clears a field. `custom_fields` is merged key by key (a `null`
/// value removes the key); `custom_fields: null` clears all of them.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContactIn {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, nullable)]
    pub email: Option<Option<String>>,
    /// Replaces the tags; `null` removes them all.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Vec<String>>, nullable)]
    pub tags: Option<Option<Vec<String>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Object>, nullable)]
    pub custom_fields: Option<Option<serde_json::Map<String, serde_json::Value>>>,
    /// Moves the contact into a pipeline of this project; `null` takes it out.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>, format = Uuid, nullable)]
    pub pipeline_id: Option<Option<PipelineId>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePipelineIn {
    /// 1 to 200 characters.
    pub name: String,
    /// Inactivity after which sessions of this pipeline's contacts end, instead of the
    /// channel's `session_timeout_seconds`; omit or `null` to keep the channel's.
    #[schema(minimum = 10, maximum = 2592000)]
    pub session_timeout_seconds: Option<i64>,
}

/// Fields to change; `session_timeout_seconds: null` removes the override.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdatePipelineIn {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable, minimum = 10, maximum = 2592000)]
    pub session_timeout_seconds: Option<Option<i64>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkTagsIn {
    /// 1 to 200 contact ids.
    pub contact_ids: Vec<ContactId>,
    #[serde(default)]
    pub add: Vec<String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BulkTagsOut {
    pub data: Vec<ContactOut>,
}

/// A contact. Contacts are the tenant's (one per phone, shared by its projects); its
/// `pipeline_id` is shown only to the project that owns the pipeline, `null` elsewhere.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = Contact)]
pub struct ContactOut {
    pub id: ContactId,
    pub tenant_id: TenantId,
    pub phone: Option<ventros_domain::phone::Phone>,
    /// `…@c.us` id when known.
    pub wa_id: Option<String>,
    /// `…@lid` id when known.
    pub lid: Option<String>,
    pub name: Option<String>,
    pub push_name: Option<String>,
    pub email: Option<String>,
    pub profile_picture_url: Option<String>,
    pub tags: Vec<String>,
    pub custom_fields: serde_json::Value,
    /// The pipeline the contact is in, when it is one of the caller's project.
    pub pipeline_id: Option<PipelineId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ContactOut {
    /// `c` as seen by a caller whose project owns the pipelines in `own`.
    pub fn seen(c: Contact, own: &std::collections::HashSet<PipelineId>) -> Self {
        ContactOut {
            id: c.id,
            tenant_id: c.tenant_id,
            phone: c.phone,
            wa_id: c.wa_id,
            lid: c.lid,
            name: c.name,
            push_name: c.push_name,
            email: c.email,
            profile_picture_url: c.profile_picture_url,
            tags: c.tags,
            custom_fields: c.custom_fields,
            pipeline_id: c.pipeline_id.filter(|p| own.contains(p)),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateNoteIn {
    /// 1 to 10,000 characters.
    pub body: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ChatOut {
    #[serde(flatten)]
    pub chat: Chat,
    pub participants: Vec<Participant>,
}
