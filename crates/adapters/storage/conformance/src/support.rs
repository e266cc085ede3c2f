//! Helpers shared by the cases.

use chrono::{TimeZone, Utc};
use std::sync::Arc;
use ventros_app::gateway::WebhookDecoder;
use ventros_app::page::PageRequest;
use ventros_app::ports::{FixedClock, Store, WebhookChannel};
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_app::usecases::ingest_webhook::{IngestOutcome, ingest_webhook};
use ventros_domain::event::{EventContext, EventEnvelope};
use ventros_domain::ids::ChannelId;
use ventros_domain::tenancy::Scope;
use ventros_waha::WahaDecoder;

pub type DynStore = Arc<dyn Store>;

pub fn clock() -> FixedClock {
    FixedClock::new(Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).single().unwrap())
}

pub struct Tenant {
    pub scope: Scope,
    pub api_key: String,
    pub channel: WebhookChannel,
}

pub async fn tenant(store: &DynStore, name: &str) -> Tenant {
    let c = clock();
    let t = create_tenant(
        store.as_ref(),
        &c,
        CreateTenant {
            name: name.into(),
            admin_email: format!("admin@{name}.example"),
            admin_password: "correct horse battery".into(),
        },
    )
    .await
    .unwrap();
    let scope = Scope {
        tenant_id: t.tenant_id,
        project_id: t.project_id,
    };
    let ch = create_channel(
        store.as_ref(),
        &c,
        scope,
        &EventContext {
            source: "test".into(),
            ..Default::default()
        },
        CreateChannel {
            name: "Main number".into(),
            waha_base_url: "http://waha.local:3000".into(),
            waha_api_key: "waha-secret".into(),
            waha_session: "default".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let channel = store.webhook_channel(ch.id).await.unwrap().unwrap();
    Tenant {
        scope,
        api_key: t.api_key,
        channel,
    }
}

pub async fn ingest(store: &DynStore, ch: &WebhookChannel, body: &[u8]) -> IngestOutcome {
    let d = WahaDecoder.decode(body).unwrap();
    ingest_webhook(
        store.as_ref(),
        &clock(),
        ch,
        d,
        &EventContext {
            source: "waha".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
}

pub async fn events(store: &DynStore, scope: Scope) -> Vec<EventEnvelope> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let p = store
            .list_events(
                scope,
                PageRequest::new(Some(200), cursor.as_deref()).unwrap(),
            )
            .await
            .unwrap();
        out.extend(p.data);
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => return out,
        }
    }
}

pub fn count(events: &[EventEnvelope], t: &str) -> usize {
    events.iter().filter(|e| e.event_type == t).count()
}

pub fn all() -> PageRequest {
    PageRequest::first(200)
}

pub fn channel_id(t: &Tenant) -> ChannelId {
    t.channel.channel_id
}

/// Another channel of the same tenant.
pub async fn tenant_channel(store: &DynStore, t: &Tenant, name: &str) -> WebhookChannel {
    let ch = create_channel(
        store.as_ref(),
        &clock(),
        t.scope,
        &EventContext::default(),
        CreateChannel {
            name: name.chars().take(100).collect(),
            waha_base_url: "http://waha.local:3000".into(),
            waha_api_key: "k".into(),
            waha_session: "default".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    store.webhook_channel(ch.id).await.unwrap().unwrap()
}

pub fn clock_now() -> chrono::DateTime<Utc> {
    use ventros_app::ports::Clock;
    clock().now()
}
