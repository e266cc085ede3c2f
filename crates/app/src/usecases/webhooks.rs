//! Webhook subscriptions of a project (permission `webhooks:manage`): create (the secret is
//! shown once), list, read, change, delete, rotate the secret (the old one keeps signing for
//! 24 hours), and send a `webhook.test` event.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::page::{Page, PageRequest};
use crate::ports::{Clock, PostError, WebhookSender, WebhookStore};
use crate::webhook_signing::new_secret;
use chrono::Duration;
use serde_json::json;
use uuid::Uuid;
use ventros_domain::event::EventType;
use ventros_domain::rbac::Permission;
use ventros_domain::secret::Secret;
use ventros_domain::webhook::{
    PREVIOUS_SECRET_HOURS, Subscription, validate_event_filters, validate_url,
};

/// What the deployment lets subscriptions point at (`VENTROS_WEBHOOK_ALLOW_HTTP`,
/// `VENTROS_WEBHOOK_ALLOW_PRIVATE`).
#[derive(Debug, Clone, Copy, Default)]
pub struct UrlPolicy {
    pub allow_http: bool,
    pub allow_private: bool,
}

#[derive(Debug, Clone)]
pub struct NewSubscription {
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
}

/// Fields to change; `description: Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct SubscriptionPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<Option<String>>,
    pub enabled: Option<bool>,
}

pub(crate) fn payload(s: &Subscription) -> serde_json::Value {
    json!({
        "webhook_id": s.id,
        "url": s.url,
        "events": s.events,
        "description": s.description,
        "enabled": s.enabled,
        "disabled_reason": s.disabled_reason,
    })
}

fn description(d: Option<String>) -> AppResult<Option<String>> {
    match d.map(|d| d.trim().to_string()) {
        Some(d) if d.chars().count() > 500 => Err(AppError::validation(
            "description",
            "at most 500 characters",
        )),
        Some(d) if d.is_empty() => Ok(None),
        d => Ok(d),
    }
}

/// The URL, checked for its form and, unless private targets are allowed, for where it
/// resolves now (checked again at every delivery).
async fn checked_url(
    sender: &dyn WebhookSender,
    policy: UrlPolicy,
    url: &str,
) -> AppResult<String> {
    let url = validate_url(url, policy.allow_http)?;
    match sender.check_target(&url).await {
        Ok(()) => Ok(url),
        Err(PostError::BlockedAddress(why)) => Err(AppError::validation(
            "url",
            format!("resolves to an address webhooks may not reach ({why})"),
        )),
        // Not resolvable now: deliveries will say so; the subscription may still be made.
        Err(_) => Ok(url),
    }
}

pub async fn create_subscription(
    store: &dyn WebhookStore,
    sender: &dyn WebhookSender,
    clock: &dyn Clock,
    actor: &Actor,
    policy: UrlPolicy,
    new: NewSubscription,
) -> AppResult<Subscription> {
    actor.require(Permission::WebhooksManage)?;
    let events = validate_event_filters(&new.events)?;
    let description = description(new.description)?;
    let url = checked_url(sender, policy, &new.url).await?;
    let now = clock.now();
    let s = Subscription {
        id: Uuid::now_v7(),
        tenant_id: actor.scope.tenant_id,
        project_id: actor.scope.project_id,
        url,
        events,
        description,
        enabled: true,
        disabled_reason: None,
        secret: Secret::new(new_secret()),
        previous_secret: None,
        previous_secret_until: None,
        failing_since: None,
        created_at: now,
        updated_at: now,
    };
    let event = actor.event(EventType::WebhookCreated, s.id, now, payload(&s));
    store.insert_subscription(&s, &event).await?;
    Ok(s)
}

pub async fn get_subscription(
    store: &dyn WebhookStore,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Subscription> {
    actor.require(Permission::WebhooksManage)?;
    store
        .get_subscription(actor.scope, id)
        .await?
        .ok_or(AppError::NotFound("webhook"))
}

pub async fn list_subscriptions(
    store: &dyn WebhookStore,
    actor: &Actor,
    page: PageRequest,
) -> AppResult<Page<Subscription>> {
    actor.require(Permission::WebhooksManage)?;
    store.list_subscriptions(actor.scope, page).await
}

pub async fn update_subscription(
    store: &dyn WebhookStore,
    sender: &dyn WebhookSender,
    clock: &dyn Clock,
    actor: &Actor,
    policy: UrlPolicy,
    id: Uuid,
    p: SubscriptionPatch,
) -> AppResult<Subscription> {
    let mut s = get_subscription(store, actor, id).await?;
    let mut changed = Vec::new();
    if let Some(events) = p.events {
        let events = validate_event_filters(&events)?;
        if events != s.events {
            s.events = events;
            changed.push("events");
        }
    }
    if let Some(d) = p.description {
        let d = description(d)?;
        if d != s.description {
            s.description = d;
            changed.push("description");
        }
    }
    if let Some(url) = p.url {
        let url = checked_url(sender, policy, &url).await?;
        if url != s.url {
            s.url = url;
            changed.push("url");
        }
    }
    if let Some(on) = p.enabled.filter(|on| *on != s.enabled) {
        s.enabled = on;
        // Enabled again by hand: its failures start counting afresh.
        s.disabled_reason = None;
        s.failing_since = None;
        changed.push("enabled");
    }
    if changed.is_empty() {
        return Ok(s);
    }
    let now = clock.now();
    s.updated_at = now;
    let mut body = payload(&s);
    body["changed"] = json!(changed);
    let event = actor.event(EventType::WebhookUpdated, s.id, now, body);
    store.update_subscription(&s, &[event]).await?;
    Ok(s)
}

pub async fn delete_subscription(
    store: &dyn WebhookStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
) -> AppResult<()> {
    let s = get_subscription(store, actor, id).await?;
    let event = actor.event(
        EventType::WebhookDeleted,
        s.id,
        clock.now(),
        json!({"webhook_id": s.id}),
    );
    if !store.delete_subscription(actor.scope, id, &event).await? {
        return Err(AppError::NotFound("webhook"));
    }
    Ok(())
}

/// A new secret (returned, to show once); the old one keeps signing beside it for 24 hours
/// so receivers can switch without losing a delivery.
pub async fn rotate_secret(
    store: &dyn WebhookStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
) -> AppResult<Subscription> {
    let mut s = get_subscription(store, actor, id).await?;
    let now = clock.now();
    s.previous_secret = Some(s.secret.clone());
    s.previous_secret_until = Some(now + Duration::hours(PREVIOUS_SECRET_HOURS));
    s.secret = Secret::new(new_secret());
    s.updated_at = now;
    let mut body = payload(&s);
    body["changed"] = json!(["secret"]);
    let event = actor.event(EventType::WebhookUpdated, s.id, now, body);
    store.update_subscription(&s, &[event]).await?;
    Ok(s)
}

/// Emits a `webhook.test` event that only this subscription receives (also while disabled).
pub async fn send_test(
    store: &dyn WebhookStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: Uuid,
) -> AppResult<ventros_domain::event::EventEnvelope> {
    let s = get_subscription(store, actor, id).await?;
    let event = actor.event(
        EventType::WebhookTest,
        s.id,
        clock.now(),
        json!({"webhook_id": s.id, "message": "A test event from Ventros"}),
    );
    store
        .append_webhook_events(std::slice::from_ref(&event))
        .await?;
    Ok(event)
}
