//! Before a channel sends, its WAHA session must be usable: reachable with the channel's key,
//! existing, `WORKING`, and posting the events Ventros needs to this channel's webhook (signed
//! when the channel has an HMAC key). Activation runs those checks; the webhook step writes
//! the webhook into the session's configuration.

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::ports::{ChannelStore, Clock, GatewayError, GatewayTarget, SessionGateway};
use crate::usecases::create_channel::channel_payload;
use crate::usecases::manage_channel::get_channel;
use serde::Serialize;
use serde_json::{Value, json};
use ventros_domain::channel::Channel;
use ventros_domain::event::EventType;
use ventros_domain::ids::ChannelId;
use ventros_domain::rbac::Permission;

/// The events Ventros writes into a session's webhook, by WAHA's exact names. `message.any`
/// carries both sides of a chat (so `message` is not needed twice).
pub const WEBHOOK_EVENTS: [&str; 16] = [
    "message.any",
    "message.ack",
    "message.revoked",
    "message.edited",
    "message.reaction",
    "session.status",
    "group.v2.join",
    "group.v2.leave",
    "group.v2.update",
    "group.v2.participants",
    "presence.update",
    "poll.vote",
    "poll.vote.failed",
    "call.received",
    "call.accepted",
    "call.rejected",
];

/// Without these a channel cannot follow its conversations or confirm its sends.
pub const REQUIRED_EVENTS: [&str; 4] = [
    "message.any",
    "message.ack",
    "message.revoked",
    "session.status",
];

/// One finding of the activation checks.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Check {
    /// `waha_reachable`, `session_exists`, `session_working`, `webhook_configured`,
    /// `webhook_signed`.
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

fn check(name: &'static str, ok: bool, detail: impl Into<String>) -> Check {
    Check {
        name,
        ok,
        detail: detail.into(),
    }
}

pub fn target(c: &Channel) -> GatewayTarget {
    GatewayTarget {
        base_url: c.waha_base_url.clone(),
        api_key: c.waha_api_key.expose().to_string(),
        session: c.waha_session.clone(),
    }
}

/// This channel's entry among a session's webhooks, if it has one.
fn our_webhook<'a>(config: &'a Value, webhook_url: &str) -> Option<&'a Value> {
    config
        .get("webhooks")
        .and_then(Value::as_array)?
        .iter()
        .find(|w| w.get("url").and_then(Value::as_str) == Some(webhook_url))
}

/// Runs every check in order; once one fails, the later ones say they were not run.
pub async fn run_checks(gw: &dyn SessionGateway, c: &Channel, webhook_url: &str) -> Vec<Check> {
    let names = [
        "waha_reachable",
        "session_exists",
        "session_working",
        "webhook_configured",
        "webhook_signed",
    ];
    let mut out = Vec::new();
    let skipped = |from: usize, out: &mut Vec<Check>| {
        for n in &names[from..] {
            out.push(check(n, false, "not checked: an earlier check failed"));
        }
    };
    let session = match gw.session(&target(c)).await {
        Ok(s) => {
            out.push(check(
                "waha_reachable",
                true,
                format!("{} answered", c.waha_base_url),
            ));
            s
        }
        Err(e) => {
            let detail = match &e {
                GatewayError::Refused {
                    status: 401 | 403, ..
                } => "WAHA refused the channel's API key (waha.api_key)".to_string(),
                other => format!("WAHA at {} could not be used: {other}", c.waha_base_url),
            };
            out.push(check("waha_reachable", false, detail));
            skipped(1, &mut out);
            return out;
        }
    };
    let Some(s) = session else {
        out.push(check(
            "session_exists",
            false,
            format!(
                "WAHA has no session named {:?} (waha.session)",
                c.waha_session
            ),
        ));
        skipped(2, &mut out);
        return out;
    };
    out.push(check(
        "session_exists",
        true,
        format!("session {:?}", s.name),
    ));
    if s.status == "WORKING" {
        out.push(check("session_working", true, "WORKING"));
    } else {
        let hint = if s.status == "SCAN_QR_CODE" {
            ": scan the QR code (GET /v1/channels/{id}/qr) with the phone"
        } else {
            ": start the session in WAHA"
        };
        out.push(check(
            "session_working",
            false,
            format!("the session is {}, not WORKING{hint}", s.status),
        ));
        skipped(3, &mut out);
        return out;
    }
    let Some(hook) = our_webhook(&s.config, webhook_url) else {
        out.push(check(
            "webhook_configured",
            false,
            format!("the session posts no webhook to {webhook_url} (POST /v1/channels/{{id}}/webhook writes it)"),
        ));
        skipped(4, &mut out);
        return out;
    };
    let events: Vec<&str> = hook
        .get("events")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let missing: Vec<&str> = REQUIRED_EVENTS
        .iter()
        .copied()
        .filter(|e| !events.contains(e) && !events.contains(&"*"))
        .collect();
    if missing.is_empty() {
        out.push(check(
            "webhook_configured",
            true,
            format!("posts to {webhook_url}"),
        ));
    } else {
        out.push(check(
            "webhook_configured",
            false,
            format!(
                "the webhook to {webhook_url} lacks the events {}",
                missing.join(", ")
            ),
        ));
        skipped(4, &mut out);
        return out;
    }
    let key = hook.pointer("/hmac/key").and_then(Value::as_str);
    let signed = match (&c.webhook_hmac_key, key) {
        (None, _) => check(
            "webhook_signed",
            true,
            "the channel takes unsigned webhooks",
        ),
        (Some(k), Some(w)) if k.expose() == w => {
            check("webhook_signed", true, "signed with the channel's key")
        }
        (Some(_), Some(_)) => check(
            "webhook_signed",
            false,
            "the webhook is signed with another key than the channel's webhook_hmac_key",
        ),
        (Some(_), None) => check(
            "webhook_signed",
            false,
            "the channel has a webhook_hmac_key but the webhook is not signed",
        ),
    };
    out.push(signed);
    out
}

/// What activation found.
#[derive(Debug, Clone)]
pub struct Activation {
    pub channel: Channel,
    pub checks: Vec<Check>,
}

/// Activates the channel when every check passes, else `ChannelNotReady` with the findings.
pub async fn activate_channel(
    store: &dyn ChannelStore,
    gw: &dyn SessionGateway,
    clock: &dyn Clock,
    actor: &Actor,
    id: ChannelId,
    webhook_url: &str,
) -> AppResult<Activation> {
    actor.require(Permission::ChannelsManage)?;
    let mut c = get_channel(store, actor, id).await?;
    let checks = run_checks(gw, &c, webhook_url).await;
    if checks.iter().any(|k| !k.ok) {
        return Err(AppError::ChannelNotReady {
            checks: json!(checks),
        });
    }
    if c.activated_at.is_none() {
        let now = clock.now();
        c.activated_at = Some(now);
        let event = actor.event(
            EventType::ChannelActivated,
            c.id.0,
            now,
            channel_payload(&c),
        );
        if !store
            .set_channel_activated(actor.scope, c.id, Some(now), Some("WORKING"), &event)
            .await?
        {
            return Err(AppError::NotFound("channel"));
        }
    }
    Ok(Activation { channel: c, checks })
}

pub async fn deactivate_channel(
    store: &dyn ChannelStore,
    clock: &dyn Clock,
    actor: &Actor,
    id: ChannelId,
) -> AppResult<Channel> {
    actor.require(Permission::ChannelsManage)?;
    let mut c = get_channel(store, actor, id).await?;
    if c.activated_at.is_some() {
        let now = clock.now();
        c.activated_at = None;
        let event = actor.event(
            EventType::ChannelDeactivated,
            c.id.0,
            now,
            channel_payload(&c),
        );
        if !store
            .set_channel_activated(actor.scope, c.id, None, None, &event)
            .await?
        {
            return Err(AppError::NotFound("channel"));
        }
    }
    Ok(c)
}

/// Writes this channel's webhook (every event Ventros uses, signed with the channel's HMAC
/// key when it has one) into the session's configuration, keeping the rest of it and any
/// other webhooks; the webhook as written.
pub async fn write_webhook(
    store: &dyn ChannelStore,
    gw: &dyn SessionGateway,
    actor: &Actor,
    id: ChannelId,
    webhook_url: &str,
) -> AppResult<Value> {
    actor.require(Permission::ChannelsManage)?;
    let c = get_channel(store, actor, id).await?;
    let t = target(&c);
    let session = gw.session(&t).await?.ok_or(AppError::Unprocessable {
        code: "session_not_found",
        message: format!("WAHA has no session named {:?}", c.waha_session),
    })?;
    let mut config = match session.config {
        Value::Object(o) => Value::Object(o),
        _ => json!({}),
    };
    let hook = json!({
        "url": webhook_url,
        "events": WEBHOOK_EVENTS,
        "hmac": c.webhook_hmac_key.as_ref().map(|k| json!({"key": k.expose()})),
        "retries": {"policy": "exponential", "delaySeconds": 2, "attempts": 15},
        "customHeaders": null,
    });
    let mut hooks: Vec<Value> = config
        .get("webhooks")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    hooks.retain(|w| w.get("url").and_then(Value::as_str) != Some(webhook_url));
    hooks.push(hook.clone());
    config["webhooks"] = Value::Array(hooks);
    gw.update_config(&t, &config).await?;
    let mut shown = hook;
    if shown.get("hmac").is_some_and(|h| !h.is_null()) {
        shown["hmac"] = json!({"key": "***"});
    }
    Ok(shown)
}

/// The session's login QR code (PNG) while it waits for a scan.
pub async fn qr_code(
    store: &dyn ChannelStore,
    gw: &dyn SessionGateway,
    actor: &Actor,
    id: ChannelId,
) -> AppResult<Vec<u8>> {
    actor.require(Permission::ChannelsManage)?;
    let c = get_channel(store, actor, id).await?;
    match gw.qr_png(&target(&c)).await {
        Ok(png) => Ok(png),
        Err(GatewayError::Refused {
            status: 422,
            detail,
            ..
        }) => Err(AppError::conflict(
            "session_not_scanning",
            format!(
                "the session shows no QR code now (status {})",
                detail
                    .get("status")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
            ),
        )),
        Err(e) => Err(e.into()),
    }
}
