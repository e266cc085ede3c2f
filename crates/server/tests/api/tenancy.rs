//! Tenant isolation over HTTP: another tenant's ids are 404 on every `{id}` route of the
//! spec, its lists show none of our rows, and no response carries a secret.

use crate::both_backends;
use crate::helpers::{Conversation, TenantKeys, TestApp, code, conversation, create_user};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sample;

both_backends!(
    every_id_route_is_404_for_another_tenant_and_changes_nothing,
    another_tenants_lists_show_none_of_ours,
    no_response_carries_a_hash_or_a_secret,
    a_foreign_id_is_404_where_ours_reads,
);

/// Tenant A with one of everything that has an id.
struct Alpha {
    keys: TenantKeys,
    conv: Conversation,
    note: Value,
    agent: Value,
    user: Value,
    key: Value,
    project: Value,
    pipeline: Value,
    job: String,
    media: Value,
    webhook: Value,
}

async fn alpha(app: &TestApp) -> Alpha {
    let keys = app.tenant("alpha").await;
    let ka = keys.api_key.as_str();
    let conv = conversation(app, ka, "5511900001111").await;
    let note = app
        .ok(
            Method::POST,
            &format!("/v1/contacts/{}/notes", conv.contact),
            ka,
            Some(json!({"body": "secret plan"})),
        )
        .await;
    let agent = app
        .ok(
            Method::POST,
            "/v1/agents",
            ka,
            Some(json!({"kind": "bot", "name": "A bot"})),
        )
        .await;
    let user = create_user(app, ka, "someone@alpha.example", "agent").await;
    let key = app
        .ok(
            Method::POST,
            "/v1/api-keys",
            ka,
            Some(json!({"name": "A key", "role": "agent"})),
        )
        .await;
    let project = app
        .ok(
            Method::POST,
            "/v1/projects",
            ka,
            Some(json!({"name": "A project"})),
        )
        .await;
    let pipeline = app
        .ok(
            Method::POST,
            "/v1/pipelines",
            ka,
            Some(json!({"name": "A funnel", "session_timeout_seconds": 600})),
        )
        .await;
    let job = app.list("/v1/jobs", ka).await[0]["id"]
        .as_str()
        .expect("the session's timer")
        .to_string();
    let (_, media) =
        crate::helpers::upload(app, ka, b"secret plan".to_vec(), "text/plain", "plan.txt").await;
    let webhook = app
        .ok(
            Method::POST,
            "/v1/webhooks",
            ka,
            Some(json!({"url": "http://127.0.0.1:9/alpha", "events": ["message.*"]})),
        )
        .await;
    Alpha {
        keys,
        conv,
        note,
        agent,
        user,
        key,
        project,
        pipeline,
        job,
        media,
        webhook,
    }
}

impl Alpha {
    fn id_of(&self, prefix: &str) -> String {
        let s = |v: &Value| v["id"].as_str().unwrap().to_string();
        match prefix {
            "contacts" => self.conv.contact.clone(),
            "chats" => self.conv.chat.clone(),
            "sessions" => self.conv.session.clone(),
            "messages" => self.conv.inbound.clone(),
            "channels" => self.conv.channel.clone(),
            "notes" => s(&self.note),
            "agents" => s(&self.agent),
            "users" => s(&self.user),
            "api-keys" => s(&self.key),
            "jobs" => self.job.clone(),
            "projects" => s(&self.project),
            "pipelines" => s(&self.pipeline),
            "media" => s(&self.media),
            "webhooks" => s(&self.webhook),
            other => panic!("no id of tenant A for /v1/{other}/{{id}}: extend the probe"),
        }
    }

    /// What no answer to tenant B may contain.
    fn foreign(&self) -> Vec<String> {
        vec![
            self.conv.contact.clone(),
            self.conv.chat.clone(),
            self.conv.session.clone(),
            self.conv.inbound.clone(),
            self.conv.channel.clone(),
            self.keys.tenant_id.clone(),
            "secret plan".into(),
            "5511900001111".into(),
        ]
    }
}

/// Calls every `{id}` route of the spec as tenant B with tenant A's ids: 404, no A data in
/// any body, and A's data unchanged afterwards.
async fn every_id_route_is_404_for_another_tenant_and_changes_nothing(app: &TestApp) {
    let a = alpha(app).await;
    let b = app.tenant("beta").await;
    let ka = a.keys.api_key.as_str();
    let foreign = a.foreign();
    let (_, spec) = app.call(Method::GET, "/openapi.json", None, None).await;
    let mut probed = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.contains("{id}") || !path.starts_with("/v1/") {
            continue;
        }
        let prefix = path.trim_start_matches("/v1/").split('/').next().unwrap();
        let concrete = path.replace("{id}", &a.id_of(prefix));
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let body = match (method, prefix) {
                ("post", _) if path.ends_with("/notes") => Some(json!({"body": "probe"})),
                ("post", _) if path.ends_with("/close") => Some(json!({"reason": "probe"})),
                ("post", _) if path.ends_with("/messages") => {
                    Some(json!({"channel_id": a.conv.channel, "type": "text", "text": "probe"}))
                        .map(|mut b| {
                            if prefix == "chats" {
                                b.as_object_mut().unwrap().remove("channel_id");
                            }
                            b
                        })
                }
                ("post", _) if path.ends_with("/assign") => Some(json!({"agent_id": null})),
                ("post", _) if path.ends_with("/transfer") => {
                    Some(json!({"to_agent_id": uuid::Uuid::now_v7()}))
                }
                ("patch", "messages") => Some(json!({"text": "Hijacked"})),
                ("patch", "webhooks") => Some(json!({"description": "Hijacked"})),
                ("patch", _) => Some(json!({"name": "Hijacked"})),
                ("put", _) if path.ends_with("/reaction") => Some(json!({"emoji": "👍"})),
                ("post", _) if path.ends_with("/typing") => Some(json!({"state": "typing"})),
                ("post", _) if path.ends_with("/replay") => {
                    Some(json!({"since": "2020-01-01T00:00:00Z"}))
                }
                _ => None,
            };
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (s, v) = app.call(m, &concrete, Some(&b.api_key), body).await;
            assert_eq!(
                (s, code(&v)),
                (StatusCode::NOT_FOUND, Some("not_found")),
                "{method} {concrete}: {v}"
            );
            let text = v.to_string();
            for f in &foreign {
                assert!(!text.contains(f.as_str()), "{method} {path} leaked {f}");
            }
            probed += 1;
        }
    }
    assert!(probed >= 20, "only {probed} routes probed");
    // Tenant A's data is untouched.
    let (_, c) = app
        .get(&format!("/v1/contacts/{}", a.conv.contact), ka)
        .await;
    assert_ne!(c["name"], "Hijacked");
    let (_, pl) = app
        .get(&format!("/v1/pipelines/{}", a.id_of("pipelines")), ka)
        .await;
    assert_eq!(pl["name"], "A funnel");
    assert_eq!(
        app.list(&format!("/v1/contacts/{}/notes", a.conv.contact), ka)
            .await
            .len(),
        1
    );
    assert_eq!(
        app.get(&format!("/v1/channels/{}", a.conv.channel), ka)
            .await
            .0,
        StatusCode::OK
    );
    let (_, u) = app
        .get(&format!("/v1/users/{}", a.id_of("users")), ka)
        .await;
    assert!(u["disabled_at"].is_null());
    assert!(
        app.list("/v1/api-keys", ka)
            .await
            .iter()
            .all(|k| k["revoked_at"].is_null())
    );
}

async fn another_tenants_lists_show_none_of_ours(app: &TestApp) {
    let a = alpha(app).await;
    let b = app.tenant("beta").await;
    let foreign = a.foreign();
    for list in [
        "/v1/contacts",
        "/v1/chats",
        "/v1/sessions",
        "/v1/messages",
        "/v1/channels",
        "/v1/agents",
        "/v1/users",
        "/v1/api-keys",
        "/v1/projects",
        "/v1/events",
        "/v1/webhooks",
    ] {
        let (s, v) = app.get(list, &b.api_key).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let text = v.to_string();
        for f in &foreign {
            assert!(!text.contains(f.as_str()), "{list} leaked {f}");
        }
    }
}

/// No response anywhere carries a password hash, key hash or channel secret.
async fn no_response_carries_a_hash_or_a_secret(app: &TestApp) {
    let a = alpha(app).await;
    let ka = a.keys.api_key.as_str();
    for list in [
        "/v1/users",
        "/v1/api-keys",
        "/v1/channels",
        "/v1/events?limit=200",
        "/v1/me",
        "/v1/webhooks",
    ] {
        let text = app.get(list, ka).await.1.to_string();
        assert!(!text.contains("$argon2"), "{list}");
        assert!(!text.contains("waha-secret"), "{list}");
        assert!(
            !text.contains(&ventros_app::secrets::hash_api_key(ka)),
            "{list}"
        );
        assert!(!text.contains(a.key["key"].as_str().unwrap()), "{list}");
        assert!(!text.contains("whsec_"), "{list}: a webhook secret");
    }
}

async fn a_foreign_id_is_404_where_ours_reads(app: &TestApp) {
    let a = app.tenant("alpha").await;
    let b = app.tenant("beta").await;
    let ch = app.channel(&a.api_key, None).await;
    let id = ch["id"].as_str().unwrap();
    app.webhook(
        id,
        &sample::text_message(
            Some("evt_x"),
            "5511999990009",
            "X1",
            false,
            "segredo do alpha",
            1_700_000_000,
        ),
        &[],
    )
    .await;
    app.drain().await;
    let cid = app.list("/v1/contacts", &a.api_key).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let chat = app.list("/v1/chats", &a.api_key).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for path in [
        format!("/v1/channels/{id}"),
        format!("/v1/contacts/{cid}"),
        format!("/v1/contacts/{cid}/events"),
        format!("/v1/chats/{chat}"),
        format!("/v1/chats/{chat}/messages"),
    ] {
        let (s, v) = app.get(&path, &b.api_key).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(v["error"]["code"], "not_found");
        let text = v.to_string();
        assert!(
            !text.contains("segredo")
                && !text.contains(&a.tenant_id)
                && !text.contains("5511999990009"),
            "{path}: {text}"
        );
        assert_eq!(app.get(&path, &a.api_key).await.0, StatusCode::OK, "{path}");
    }
    for path in [
        "/v1/contacts",
        "/v1/chats",
        &format!("/v1/sessions?contact_id={cid}"),
        "/v1/events",
    ] {
        let data = app.list(path, &b.api_key).await;
        let leaked = data.iter().any(|e| e.to_string().contains(&a.tenant_id));
        assert!(!leaked, "{path}: {data:?}");
    }
    assert!(app.list("/v1/contacts", &b.api_key).await.is_empty());
}
