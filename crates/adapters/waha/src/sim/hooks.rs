//! Posting events to a session's webhooks, as WAHA does: the envelope, the
//! `X-Webhook-Request-Id`, `X-Webhook-Timestamp` and, with an HMAC key, `X-Webhook-Hmac`.

use super::Simulator;
use crate::hmac_verify::sign_hex;
use serde_json::{Value, json};

impl Simulator {
    /// Posts `event` to every webhook of `session` that takes it; the HTTP statuses answered
    /// (0 for no answer).
    pub(super) async fn post_event(&self, session: &str, event: &str, payload: Value) -> Vec<u16> {
        let hooks: Vec<Value> = self
            .lock()
            .sessions
            .get(session)
            .and_then(|s| s.config.get("webhooks").and_then(Value::as_array).cloned())
            .unwrap_or_default();
        let mut out = Vec::new();
        for h in hooks {
            let takes = h
                .get("events")
                .and_then(Value::as_array)
                .is_some_and(|es| es.iter().any(|e| e == event || e == "*"));
            let Some(url) = h.get("url").and_then(Value::as_str).filter(|_| takes) else {
                continue;
            };
            let now_ms = chrono::Utc::now().timestamp_millis();
            let id = format!("evt_{}", uuid::Uuid::now_v7().simple());
            let body = json!({
                "id": id,
                "timestamp": now_ms,
                "event": event,
                "session": session,
                "metadata": {},
                "me": {"id": self.me_jid(), "pushName": "Ventros simulator"},
                "payload": payload,
                "engine": self.cfg.engine.name(),
                "environment": {"version": "simulator", "engine": self.cfg.engine.name(), "tier": "CORE", "browser": null},
            })
            .to_string();
            let mut req = self
                .http
                .post(url)
                .header("content-type", "application/json")
                .header("x-webhook-request-id", &id)
                .header("x-webhook-timestamp", now_ms.to_string());
            if let Some(key) = h.pointer("/hmac/key").and_then(Value::as_str) {
                req = req
                    .header("x-webhook-hmac", sign_hex(key, body.as_bytes()))
                    .header("x-webhook-hmac-algorithm", "sha512");
            }
            let status = match req.body(body).send().await {
                Ok(r) => r.status().as_u16(),
                Err(_) => 0,
            };
            out.push(status);
        }
        out
    }
}
