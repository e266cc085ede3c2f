//! Helpers shared by the cases.

use chrono::{TimeZone, Utc};
use std::sync::Arc;
use ventros_app::actor::Actor;
use ventros_app::error::AppResult;
use ventros_app::page::{Page, PageRequest};
use ventros_app::ports::WebhookDecoder;
use ventros_app::ports::{
    ContactFilter, ConversationFilter, FixedClock, MessageFilter, Store, WebhookChannel,
};
use ventros_app::usecases::create_channel::{CreateChannel, create_channel};
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_app::usecases::ingest::{IngestOutcome, ingest_webhook};
use ventros_domain::contact::Contact;
use ventros_domain::event::{EventContext, EventEnvelope};
use ventros_domain::ids::ChannelId;
use ventros_domain::ids::ChatId;
use ventros_domain::message::Message;
use ventros_domain::phone::Phone;
use ventros_domain::tenancy::Scope;
use ventros_waha::WahaDecoder;

pub type DynStore = Arc<dyn Store>;
pub type ChatFilter = ConversationFilter;
pub type SessionFilter = ConversationFilter;

/// The list calls the cases were written against, on top of the filtered store reads.
#[async_trait::async_trait]
pub trait StoreExt {
    async fn list_messages(
        &self,
        scope: Scope,
        chat: ChatId,
        page: PageRequest,
    ) -> AppResult<Page<Message>>;
    async fn list_contacts(
        &self,
        scope: Scope,
        phone: Option<&Phone>,
        page: PageRequest,
    ) -> AppResult<Page<Contact>>;
}

#[async_trait::async_trait]
impl<S: Store + ?Sized> StoreExt for S {
    async fn list_messages(
        &self,
        scope: Scope,
        chat: ChatId,
        page: PageRequest,
    ) -> AppResult<Page<Message>> {
        let f = MessageFilter {
            chat_id: Some(chat),
            ..Default::default()
        };
        self.find_messages(scope, &f, page).await
    }

    async fn list_contacts(
        &self,
        scope: Scope,
        phone: Option<&Phone>,
        page: PageRequest,
    ) -> AppResult<Page<Contact>> {
        let f = ContactFilter {
            phone: phone.cloned(),
            ..Default::default()
        };
        self.search_contacts(scope.tenant_id, &f, page).await
    }
}

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
            admin_email: format!("admin-{}@{name}.example", uuid::Uuid::now_v7().simple()),
            admin_name: None,
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
        &Actor::system(scope, "test"),
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
    ingest_at(store, ch, body, clock_now()).await
}

/// Ingests a webhook that arrives at `now`.
pub async fn ingest_at(
    store: &DynStore,
    ch: &WebhookChannel,
    body: &[u8],
    now: chrono::DateTime<Utc>,
) -> IngestOutcome {
    let d = WahaDecoder.decode(body).unwrap();
    ingest_webhook(
        store.as_ref(),
        &FixedClock::new(now),
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
                &ventros_app::ports::EventFilter::default(),
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
        &ventros_app::actor::Actor::system(t.scope, "test"),
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
