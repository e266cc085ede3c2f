#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The REST API over HTTP on both backends: login and tokens, users, API keys, projects,
//! agents, the RBAC matrix, contacts, notes, channels, conversation filters, idempotency,
//! rate limits, correlation ids, the cross-tenant probe and secrets never leaking.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::TestApp;
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::Role;
use ventros_waha::sample;

both_backends!(
    login_tokens_users_and_projects,
    api_keys_are_shown_once_listed_by_prefix_and_revoked,
    rbac_matrix_is_enforced_on_every_permission,
    contacts_crud_search_tags_and_notes,
    channels_update_status_and_delete_keep_history,
    conversation_filters_and_reads,
    idempotency_keys_replay_or_reject,
    correlation_ids_are_echoed_and_reach_events,
    cross_tenant_probe_on_every_id_route,
    jobs_api_shows_timers_and_retries_dead_ones,
    sessions_close_reopen_assign_transfer,
);

/// A channel with one inbound message from `phone` and one reply: ids of what it created.
struct Conversation {
    channel: String,
    contact: String,
    chat: String,
    session: String,
    inbound: String,
    outbound: String,
}

async fn conversation(app: &TestApp, key: &str, phone: &str) -> Conversation {
    let ch = app.channel(key, None).await;
    let channel = ch["id"].as_str().unwrap().to_string();
    let body = sample::text_message(
        Some(&format!("evt_in_{phone}")),
        phone,
        &format!("IN{phone}"),
        false,
        "hello",
        1_700_000_000,
    );
    assert_eq!(app.webhook(&channel, &body, &[]).await.0, StatusCode::OK);
    let body = sample::text_message(
        Some(&format!("evt_out_{phone}")),
        phone,
        &format!("OUT{phone}"),
        true,
        "hi, how can I help?",
        1_700_000_060,
    );
    assert_eq!(app.webhook(&channel, &body, &[]).await.0, StatusCode::OK);
    app.drain().await;
    let (_, chats) = app
        .get(&format!("/v1/chats?channel_id={channel}"), key)
        .await;
    let chat = &chats["data"][0];
    let (_, msgs) = app
        .get(
            &format!("/v1/chats/{}/messages", chat["id"].as_str().unwrap()),
            key,
        )
        .await;
    assert_eq!(msgs["data"].as_array().unwrap().len(), 2, "{msgs}");
    Conversation {
        channel,
        contact: chat["contact_id"].as_str().unwrap().to_string(),
        chat: chat["id"].as_str().unwrap().to_string(),
        session: msgs["data"][0]["session_id"].as_str().unwrap().to_string(),
        inbound: msgs["data"][0]["id"].as_str().unwrap().to_string(),
        outbound: msgs["data"][1]["id"].as_str().unwrap().to_string(),
    }
}

fn code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

async fn create_user(app: &TestApp, key: &str, email: &str, role: &str) -> Value {
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/users",
            Some(key),
            Some(json!({"email": email, "password": "agent password 1", "name": "Agent Smith", "role": role})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

async fn login_tokens_users_and_projects(app: &TestApp) {
    let t = app.tenant("acme").await;
    let token = app.login(&t.email, &t.password).await;
    let (s, me) = app.get("/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "admin");
    assert_eq!(me["tenant_id"], json!(t.tenant_id));
    assert_eq!(me["user"]["email"], json!(t.email));
    assert!(me["permissions"].as_array().unwrap().len() >= 20);
    assert!(me["user"].get("password_hash").is_none());
    // The same call with the API key says it is a key.
    let (_, me_key) = app.get("/v1/me", &t.api_key).await;
    assert!(me_key["api_key_id"].is_string() && me_key["user"].is_null());
    // Case and spaces in the email do not matter.
    app.login(&format!("  {}  ", t.email.to_uppercase()), &t.password)
        .await;

    // A tampered or foreign token is refused.
    let mut bad = token.clone();
    bad.pop();
    bad.push(if token.ends_with('A') { 'B' } else { 'A' });
    let (s, v) = app.get("/v1/me", &bad).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );
    let (s, _) = app.get("/v1/me", "not-a-token").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Only /v1 reads the header: health, login and the WAHA webhook ignore a stray one.
    assert_eq!(app.get("/health", "not-a-token").await.0, StatusCode::OK);
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/auth/login",
            Some("stale"),
            Some(json!({"email": t.email, "password": t.password})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let ch = app.channel(&t.api_key, None).await;
    let body = sample::text_message(
        Some("evt_auth_hdr"),
        "5511900002222",
        "H1",
        false,
        "x",
        1_700_000_000,
    );
    let r = app
        .send(
            Method::POST,
            &format!("/webhooks/waha/{}", ch["id"].as_str().unwrap()),
            Some("waha-custom"),
            Some(serde_json::from_slice(&body).unwrap()),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Users: admin creates an agent user, who logs in and sees agent permissions.
    let u = create_user(app, &token, "Agent@Acme.example", "agent").await;
    assert_eq!(u["email"], "agent@acme.example");
    assert!(u.get("password_hash").is_none() && u.get("password").is_none());
    let uid = u["id"].as_str().unwrap();
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/users",
            Some(&token),
            Some(json!({"email": "agent@acme.example", "password": "agent password 1", "name": "Dup", "role": "agent"})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, Some("email_taken")));
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/users",
            Some(&token),
            Some(json!({"email": "x@acme.example", "password": "short", "name": "X", "role": "agent"})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["details"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("password"))
    );
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/users",
            Some(&token),
            Some(json!({"email": "y@acme.example", "password": "long enough 1", "name": "Y", "role": "root"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, list) = app.get("/v1/users", &token).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(!list.to_string().contains("argon2"));

    let agent_token = app.login("agent@acme.example", "agent password 1").await;
    let (_, me) = app.get("/v1/me", &agent_token).await;
    assert_eq!(me["role"], "agent");
    let (s, v) = app.get("/v1/users", &agent_token).await;
    assert_eq!((s, code(&v)), (StatusCode::FORBIDDEN, Some("forbidden")));
    // A user may read itself, not others.
    assert_eq!(
        app.get(&format!("/v1/users/{uid}"), &agent_token).await.0,
        StatusCode::OK
    );

    // Disabling: the token stops working at once and login fails.
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/users/{uid}/disable"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["disabled_at"].is_string());
    assert_eq!(
        app.get("/v1/me", &agent_token).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": "agent@acme.example", "password": "agent password 1"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // An admin cannot disable itself.
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/users/{}/disable", me_user(app, &token).await),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("cannot_disable_self")
        )
    );

    // Projects: a user switches with X-Project-Id; an API key stays in its own project.
    let (s, p) = app
        .call(
            Method::POST,
            "/v1/projects",
            Some(&token),
            Some(json!({"name": "Sales"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{p}");
    let pid = p["id"].as_str().unwrap();
    app.channel(&token, None).await;
    let r = app
        .send(
            Method::GET,
            "/v1/channels",
            Some(&token),
            None,
            &[("x-project-id", pid)],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body["data"].as_array().unwrap().len(),
        0,
        "a new project is empty"
    );
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&token),
            None,
            &[("x-project-id", pid)],
        )
        .await;
    assert_eq!(r.body["project_id"], json!(pid));
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&t.api_key),
            None,
            &[("x-project-id", pid)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&token),
            None,
            &[("x-project-id", "nope")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let other = uuid::Uuid::now_v7().to_string();
    let r = app
        .send(
            Method::GET,
            "/v1/me",
            Some(&token),
            None,
            &[("x-project-id", &other)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (_, projects) = app.get("/v1/projects", &token).await;
    assert_eq!(projects["data"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(&format!("/v1/projects/{pid}"), &token).await.0,
        StatusCode::OK
    );

    // Agents: human (linked to a user), bot, system.
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/agents",
            Some(&token),
            Some(json!({"kind": "human", "name": "Smith", "user_id": uid})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let aid = v["id"].as_str().unwrap().to_string();
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/agents",
            Some(&token),
            Some(json!({"kind": "human", "name": "Smith again", "user_id": uid})),
        )
        .await;
    assert_eq!((s, code(&v)), (StatusCode::CONFLICT, Some("agent_exists")));
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/agents",
            Some(&token),
            Some(json!({"kind": "human", "name": "Nobody"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/agents",
            Some(&token),
            Some(json!({"kind": "bot", "name": "Bot", "user_id": uid})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    for kind in ["bot", "system"] {
        let (s, v) = app
            .call(
                Method::POST,
                "/v1/agents",
                Some(&token),
                Some(json!({"kind": kind, "name": kind})),
            )
            .await;
        assert_eq!((s, v["kind"].as_str()), (StatusCode::CREATED, Some(kind)));
    }
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/v1/agents/{aid}"),
            Some(&token),
            Some(json!({"active": false, "name": "J. Smith"})),
        )
        .await;
    assert_eq!(
        (s, v["active"].as_bool(), v["name"].as_str()),
        (StatusCode::OK, Some(false), Some("J. Smith"))
    );
    let (_, agents) = app.get("/v1/agents", &token).await;
    assert_eq!(agents["data"].as_array().unwrap().len(), 3);

    // Events carry who did what, never secrets.
    app.drain().await;
    let (_, ev) = app.get("/v1/events?limit=200", &t.api_key).await;
    let types: Vec<&str> = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for ty in [
        "user.created",
        "user.disabled",
        "project.created",
        "agent.created",
        "agent.updated",
    ] {
        assert!(types.contains(&ty), "{ty} missing from {types:?}");
    }
    assert!(!ev.to_string().contains("agent password 1"));
}

async fn me_user(app: &TestApp, token: &str) -> String {
    app.get("/v1/me", token).await.1["user"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Login throttling and rate limits need their own small limits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_is_throttled_per_account_and_requests_per_caller() {
    let app = TestApp::sqlite_with(|c| {
        c.login_max_failures = 3;
        c.rate_limit_per_minute = 60;
        c.rate_limit_burst = 3;
    })
    .await
    .unwrap();
    let t = app.tenant("acme").await;
    for _ in 0..3 {
        let (s, v) = app
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(json!({"email": t.email, "password": "wrong password"})),
            )
            .await;
        assert_eq!(
            (s, code(&v)),
            (StatusCode::UNAUTHORIZED, Some("unauthorized"))
        );
    }
    let r = app
        .send(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": t.email, "password": t.password})),
            &[],
        )
        .await;
    assert_eq!(
        (r.status, code(&r.body)),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    let retry: u64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 900, "{retry}");
    // Unknown accounts fail the same way (no user enumeration) and are throttled too.
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/auth/login",
            None,
            Some(json!({"email": "ghost@acme.example", "password": "whatever it is"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    // Burst of 3, then 429 with Retry-After, per caller.
    for _ in 0..3 {
        let r = app
            .send(Method::GET, "/v1/contacts", Some(&t.api_key), None, &[])
            .await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.headers["x-ratelimit-limit"], "60");
    }
    let r = app
        .send(Method::GET, "/v1/contacts", Some(&t.api_key), None, &[])
        .await;
    assert_eq!(
        (r.status, code(&r.body)),
        (StatusCode::TOO_MANY_REQUESTS, Some("rate_limited"))
    );
    assert!(
        r.headers["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    let other = app.tenant("other").await;
    let r = app
        .send(Method::GET, "/v1/contacts", Some(&other.api_key), None, &[])
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "another caller has its own bucket"
    );
    app.stop().await;
}

async fn api_keys_are_shown_once_listed_by_prefix_and_revoked(app: &TestApp) {
    let t = app.tenant("acme").await;
    let (s, k) = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&t.api_key),
            Some(json!({"name": "Zapier", "role": "supervisor"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{k}");
    let key = k["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("vtr_") && key.starts_with(k["prefix"].as_str().unwrap()));
    let (_, me) = app.get("/v1/me", &key).await;
    assert_eq!(me["role"], "supervisor");
    let (_, list) = app.get("/v1/api-keys", &t.api_key).await;
    let text = list.to_string();
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    assert!(!text.contains(&key), "a listed key never shows the key");
    assert!(!text.contains(&ventros_app::secrets::hash_api_key(&key)));
    assert!(list["data"][1].get("key").is_none() && list["data"][1].get("key_hash").is_none());
    // Mass assignment: no setting the id or the tenant through the body.
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(&t.api_key),
            Some(json!({"name": "x", "role": "admin", "tenant_id": t.tenant_id})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    let kid = k["id"].as_str().unwrap();
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/api-keys/{kid}"),
            Some(&t.api_key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/v1/me", &key).await.0,
        StatusCode::UNAUTHORIZED,
        "revoked at once"
    );
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/api-keys/{kid}"),
            Some(&t.api_key),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "revoking twice is fine");
    let (_, list) = app.get("/v1/api-keys", &t.api_key).await;
    assert!(list["data"][1]["revoked_at"].is_string());
    app.drain().await;
    let (_, ev) = app.get("/v1/events?limit=200", &t.api_key).await;
    let text = ev.to_string();
    assert!(text.contains("api_key.created") && text.contains("api_key.revoked"));
    assert!(!text.contains(&key), "events never carry the key");
}

/// The endpoint that needs each permission. `messages:send` has no endpoint yet; the domain
/// test covers its place in the matrix.
fn endpoint(
    p: Permission,
    ids: &Conversation,
    n: usize,
) -> Option<(Method, String, Option<Value>)> {
    let c = &ids.contact;
    Some(match p {
        Permission::ContactsRead => (Method::GET, format!("/v1/contacts/{c}"), None),
        Permission::ContactsCreate => (
            Method::POST,
            "/v1/contacts".into(),
            Some(json!({"name": "New", "phone": format!("+55119{n:08}")})),
        ),
        Permission::ContactsUpdate => (
            Method::PATCH,
            format!("/v1/contacts/{c}"),
            Some(json!({"name": format!("Name {n}")})),
        ),
        Permission::ContactsDelete => (Method::DELETE, "DELETE_CONTACT".into(), None),
        Permission::MessagesRead => (Method::GET, format!("/v1/messages/{}", ids.inbound), None),
        Permission::SessionsRead => (Method::GET, format!("/v1/sessions/{}", ids.session), None),
        Permission::NotesRead => (Method::GET, format!("/v1/contacts/{c}/notes"), None),
        Permission::NotesCreate => (
            Method::POST,
            format!("/v1/contacts/{c}/notes"),
            Some(json!({"body": "called back"})),
        ),
        Permission::NotesDelete => (Method::DELETE, "DELETE_NOTE".into(), None),
        Permission::AgentsRead => (Method::GET, "/v1/agents".into(), None),
        Permission::AgentsManage => (
            Method::POST,
            "/v1/agents".into(),
            Some(json!({"kind": "bot", "name": format!("bot {n}")})),
        ),
        Permission::ChannelsRead => (Method::GET, format!("/v1/channels/{}", ids.channel), None),
        Permission::ChannelsManage => (
            Method::PATCH,
            format!("/v1/channels/{}", ids.channel),
            Some(json!({"name": format!("Front desk {n}")})),
        ),
        Permission::UsersManage => (Method::GET, "/v1/users".into(), None),
        Permission::ApiKeysManage => (Method::GET, "/v1/api-keys".into(), None),
        Permission::ProjectsManage => (Method::GET, "/v1/projects".into(), None),
        Permission::EventsRead => (Method::GET, "/v1/events".into(), None),
        Permission::JobsManage => (Method::GET, "/v1/jobs?status=dead".into(), None),
        Permission::ReportsRead => (
            Method::GET,
            "/v1/reports/sessions?group_by=agent".into(),
            None,
        ),
        Permission::SessionsUpdate => (
            Method::POST,
            format!("/v1/sessions/{}/assign", ids.session),
            Some(json!({"agent_id": null})),
        ),
        Permission::PipelinesRead => (Method::GET, "/v1/pipelines".into(), None),
        Permission::PipelinesManage => (
            Method::POST,
            "/v1/pipelines".into(),
            Some(json!({"name": format!("Funnel {n}")})),
        ),
        Permission::MessagesSend => {
            return None;
        }
    })
}

async fn rbac_matrix_is_enforced_on_every_permission(app: &TestApp) {
    let t = app.tenant("acme").await;
    let ids = conversation(app, &t.api_key, "5511977776666").await;
    let mut n = 0;
    for role in [Role::Admin, Role::Supervisor, Role::Agent] {
        let (_, k) = app
            .call(
                Method::POST,
                "/v1/api-keys",
                Some(&t.api_key),
                Some(json!({"name": role.as_str(), "role": role.as_str()})),
            )
            .await;
        let key = k["key"].as_str().unwrap().to_string();
        for p in Permission::ALL {
            n += 1;
            let Some((method, mut path, body)) = endpoint(p, &ids, n) else {
                continue;
            };
            if path == "DELETE_CONTACT" {
                let (_, c) = app
                    .call(
                        Method::POST,
                        "/v1/contacts",
                        Some(&t.api_key),
                        Some(json!({"name": "Doomed", "phone": format!("+55118{n:08}")})),
                    )
                    .await;
                path = format!("/v1/contacts/{}", c["id"].as_str().unwrap());
            }
            if path == "DELETE_NOTE" {
                let (_, note) = app
                    .call(
                        Method::POST,
                        &format!("/v1/contacts/{}/notes", ids.contact),
                        Some(&t.api_key),
                        Some(json!({"body": "to delete"})),
                    )
                    .await;
                path = format!("/v1/notes/{}", note["id"].as_str().unwrap());
            }
            let (s, v) = app.call(method.clone(), &path, Some(&key), body).await;
            if role.allows(p) {
                assert!(s.is_success(), "{role:?} {p:?} {method} {path}: {s} {v}");
            } else {
                assert_eq!(
                    (s, code(&v), v["error"]["details"]["required"].as_str()),
                    (StatusCode::FORBIDDEN, Some("forbidden"), Some(p.as_str())),
                    "{role:?} {p:?} {method} {path}"
                );
            }
        }
    }
}

async fn contacts_crud_search_tags_and_notes(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let mut ids = Vec::new();
    for (name, phone, tags) in [
        ("Ana Souza", "+55 11 91234-0001", json!(["vip", "lead"])),
        ("Bruno Lima", "+5511912340002", json!(["lead"])),
        ("Carla Ana", "+5521912340003", json!([])),
    ] {
        let (s, v) = app
            .call(Method::POST, "/v1/contacts", Some(k), Some(json!({"name": name, "phone": phone, "tags": tags, "email": "X@Example.com", "custom_fields": {"plan": "gold", "seats": 3}})))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        assert_eq!(v["email"], "x@example.com");
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    let (_, first) = app.get(&format!("/v1/contacts/{}", ids[0]), k).await;
    assert_eq!(first["phone"], "+5511912340001");
    assert_eq!(first["wa_id"], "5511912340001@c.us");

    // Duplicate phone, bad input, mass assignment.
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(json!({"name": "Again", "phone": "+5511912340001"})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, Some("contact_phone_taken"))
    );
    for bad in [
        json!({"name": "X", "phone": "12"}),
        json!({"name": "", "phone": "+5511912349999"}),
        json!({"name": "X", "phone": "+5511912349999", "custom_fields": [1]}),
        json!({"name": "X", "phone": "+5511912349999", "custom_fields": {"big": "x".repeat(17 * 1024)}}),
        json!({"name": "X", "phone": "+5511912349999", "tags": [""]}),
        json!({"name": "X", "phone": "+5511912349999", "id": ids[0]}),
        json!({"name": "X", "phone": "+5511912349999", "created_at": "2020-01-01T00:00:00Z"}),
    ] {
        let (s, v) = app
            .call(Method::POST, "/v1/contacts", Some(k), Some(bad.clone()))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad} → {v}");
        assert!(
            v["error"]["details"]["fields"][0]["field"].is_string(),
            "{v}"
        );
    }
    let r = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            None,
            &[("content-type", "application/json")],
        )
        .await;
    assert_eq!(
        (r.status, code(&r.body)),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );

    // PATCH: null clears, custom fields merge, phone conflicts.
    let (s, v) = app
        .call(Method::PATCH, &format!("/v1/contacts/{}", ids[0]), Some(k), Some(json!({"email": null, "custom_fields": {"plan": null, "city": "Recife"}, "name": "Ana S."})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["email"], Value::Null);
    assert_eq!(v["name"], "Ana S.");
    assert_eq!(v["custom_fields"], json!({"seats": 3, "city": "Recife"}));
    let (_, stored) = app.get(&format!("/v1/contacts/{}", ids[0]), k).await;
    assert_eq!(stored["custom_fields"], v["custom_fields"]);
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/v1/contacts/{}", ids[0]),
            Some(k),
            Some(json!({"phone": "+5511912340002"})),
        )
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, Some("contact_phone_taken"))
    );
    let (s, _) = app
        .call(
            Method::PATCH,
            &format!("/v1/contacts/{}", ids[0]),
            Some(k),
            Some(json!({"tenant_id": t.tenant_id})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Search, tags, time range, sort.
    let names = |v: &Value| -> Vec<String> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let (_, v) = app.get("/v1/contacts?search=ana", k).await;
    assert_eq!(names(&v), ["Ana S.", "Carla Ana"]);
    let (_, v) = app.get("/v1/contacts?search=%2B55%2021", k).await;
    assert_eq!(
        names(&v),
        ["Carla Ana"],
        "phone digits match whatever the formatting"
    );
    let (_, v) = app.get("/v1/contacts?search=%25", k).await;
    assert_eq!(names(&v).len(), 0, "LIKE wildcards are literal");
    let (_, v) = app.get("/v1/contacts?tags=vip,nothing", k).await;
    assert_eq!(names(&v), ["Ana S."]);
    let (_, v) = app.get("/v1/contacts?tags=lead", k).await;
    assert_eq!(names(&v).len(), 2);
    let (_, v) = app.get("/v1/contacts?sort=-created_at", k).await;
    assert_eq!(names(&v), ["Carla Ana", "Bruno Lima", "Ana S."]);
    let (_, v) = app.get("/v1/contacts?sort=-created_at&limit=2", k).await;
    let cursor = v["next_cursor"].as_str().unwrap().to_string();
    let (_, v2) = app
        .get(
            &format!("/v1/contacts?sort=-created_at&limit=2&cursor={cursor}"),
            k,
        )
        .await;
    assert_eq!(names(&v2), ["Ana S."]);
    let (_, v) = app.get("/v1/contacts?sort=-updated_at&limit=1", k).await;
    assert_eq!(names(&v), ["Ana S."], "the last one updated");
    let (_, v) = app
        .get(
            "/v1/contacts?created_after=2000-01-01T00:00:00Z&created_before=2100-01-01T00:00:00Z",
            k,
        )
        .await;
    assert_eq!(names(&v).len(), 3);
    let (_, v) = app
        .get("/v1/contacts?created_before=2000-01-01T00:00:00Z", k)
        .await;
    assert_eq!(names(&v).len(), 0);
    let (s, v) = app.get("/v1/contacts?sort=name", k).await;
    assert_eq!(
        (s, v["error"]["details"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("sort"))
    );
    let (s, _) = app.get("/v1/contacts?created_after=yesterday", k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Bulk tags: all or nothing.
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/contacts/bulk-tags",
            Some(k),
            Some(json!({"contact_ids": [ids[1], ids[2]], "add": ["q3"], "remove": ["lead"]})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["data"][0]["tags"], json!(["q3"]));
    assert_eq!(v["data"][1]["tags"], json!(["q3"]));
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/contacts/bulk-tags",
            Some(k),
            Some(json!({"contact_ids": [ids[0], uuid::Uuid::now_v7()], "add": ["never"]})),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = app.get("/v1/contacts?tags=never", k).await;
    assert_eq!(names(&v).len(), 0, "nothing half-written");
    let (s, _) = app
        .call(
            Method::POST,
            "/v1/contacts/bulk-tags",
            Some(k),
            Some(json!({"contact_ids": [], "add": ["x"]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Notes on the contact and on a session, into the timeline.
    let conv = conversation(app, k, "5511966665555").await;
    let (s, n1) = app
        .call(
            Method::POST,
            &format!("/v1/contacts/{}/notes", conv.contact),
            Some(k),
            Some(json!({"body": "Prefers calls after 6pm"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n1}");
    assert!(n1["author"].as_str().unwrap().starts_with("api_key:"));
    let (s, n2) = app
        .call(
            Method::POST,
            &format!("/v1/sessions/{}/notes", conv.session),
            Some(k),
            Some(json!({"body": "Asked about the price"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{n2}");
    assert_eq!(n2["contact_id"], json!(conv.contact));
    let (s, _) = app
        .call(
            Method::POST,
            &format!("/v1/contacts/{}/notes", conv.contact),
            Some(k),
            Some(json!({"body": "   "})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, all) = app
        .get(&format!("/v1/contacts/{}/notes", conv.contact), k)
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 2);
    let (_, only) = app
        .get(&format!("/v1/sessions/{}/notes", conv.session), k)
        .await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    app.drain().await;
    let (_, tl) = app
        .get(
            &format!("/v1/contacts/{}/events?category=note", conv.contact),
            k,
        )
        .await;
    let summaries: Vec<&str> = tl["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "Note: Prefers calls after 6pm",
            "Note: Asked about the price"
        ]
    );
    let (_, tl) = app
        .get(
            &format!("/v1/contacts/{}/events?type=session.started", conv.contact),
            k,
        )
        .await;
    assert_eq!(tl["data"].as_array().unwrap().len(), 1);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/notes/{}", n1["id"].as_str().unwrap()),
            Some(k),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/notes/{}", n1["id"].as_str().unwrap()),
            Some(k),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, all) = app
        .get(&format!("/v1/contacts/{}/notes", conv.contact), k)
        .await;
    assert_eq!(all["data"].as_array().unwrap().len(), 1);

    // Delete: gone from reads, phone free again, conversations stay.
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/contacts/{}", ids[1]),
            Some(k),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/v1/contacts/{}", ids[1]), k).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.call(
            Method::DELETE,
            &format!("/v1/contacts/{}", ids[1]),
            Some(k),
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(json!({"name": "Bruno again", "phone": "+5511912340002"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_ne!(v["id"], json!(ids[1]));
    let (s, _) = app
        .call(
            Method::DELETE,
            &format!("/v1/contacts/{}", conv.contact),
            Some(k),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/v1/chats/{}", conv.chat), k).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/v1/sessions/{}/messages", conv.session), k)
            .await
            .1["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn channels_update_status_and_delete_keep_history(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let conv = conversation(app, k, "5511955554444").await;
    let ch = &conv.channel;
    let (s, v) = app
        .call(Method::PATCH, &format!("/v1/channels/{ch}"), Some(k), Some(json!({"name": "Front desk", "waha": {"api_key": "rotated-waha-key"}, "webhook_hmac_key": "0123456789abcdef0123", "session_timeout_seconds": 600})))
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["name"].as_str(),
            v["webhook_signed"].as_bool(),
            v["session_timeout_seconds"].as_i64()
        ),
        (Some("Front desk"), Some(true), Some(600))
    );
    assert!(
        !v.to_string().contains("rotated-waha-key")
            && !v.to_string().contains("0123456789abcdef0123")
    );
    // Now unsigned deliveries are refused…
    let body = sample::text_message(
        Some("evt_unsigned"),
        "5511955554444",
        "U1",
        false,
        "x",
        1_700_000_100,
    );
    assert_eq!(
        app.webhook(ch, &body, &[]).await.0,
        StatusCode::UNAUTHORIZED
    );
    // …until the key is cleared with null.
    let (s, v) = app
        .call(
            Method::PATCH,
            &format!("/v1/channels/{ch}"),
            Some(k),
            Some(json!({"webhook_hmac_key": null})),
        )
        .await;
    assert_eq!(
        (s, v["webhook_signed"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(app.webhook(ch, &body, &[]).await.0, StatusCode::OK);
    for bad in [
        json!({"session_timeout_seconds": 5}),
        json!({"debounce_timeout_ms": 300_001}),
        json!({"waha": {"base_url": "ftp://x"}}),
        json!({"status": "WORKING"}),
    ] {
        let (s, _) = app
            .call(
                Method::PATCH,
                &format!("/v1/channels/{ch}"),
                Some(k),
                Some(bad.clone()),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
    }
    let (s, v) = app.get(&format!("/v1/channels/{ch}/status"), k).await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("UNKNOWN")));
    let (_, list) = app.get("/v1/channels", k).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let (s, _) = app
        .call(Method::DELETE, &format!("/v1/channels/{ch}"), Some(k), None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(
        app.get(&format!("/v1/channels/{ch}"), k).await.0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/channels", k).await.1["data"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    let body = sample::text_message(
        Some("evt_after"),
        "5511955554444",
        "U2",
        false,
        "x",
        1_700_000_200,
    );
    assert_eq!(
        app.webhook(ch, &body, &[]).await.0,
        StatusCode::UNAUTHORIZED,
        "deleted channels take no deliveries"
    );
    assert_eq!(
        app.get(&format!("/v1/chats/{}/messages", conv.chat), k)
            .await
            .1["data"]
            .as_array()
            .unwrap()
            .len(),
        3,
        "history stays"
    );
    app.drain().await;
    let (_, ev) = app.get("/v1/events?limit=200", k).await;
    let text = ev.to_string();
    assert!(text.contains("channel.updated") && text.contains("channel.deleted"));
    assert!(!text.contains("rotated-waha-key"));
}

async fn conversation_filters_and_reads(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let a = conversation(app, k, "5511944443333").await;
    let (_, other_ch) = (0, conversation(app, k, "5511933332222").await);
    let len = |v: &Value| v["data"].as_array().unwrap().len();

    let (_, v) = app.get("/v1/messages", k).await;
    assert_eq!(len(&v), 4);
    let (_, v) = app
        .get(&format!("/v1/messages?chat_id={}", a.chat), k)
        .await;
    assert_eq!(len(&v), 2);
    let (_, v) = app
        .get(
            &format!("/v1/messages?chat_id={}&direction=inbound", a.chat),
            k,
        )
        .await;
    assert_eq!(
        (len(&v), v["data"][0]["id"].as_str()),
        (1, Some(a.inbound.as_str()))
    );
    let (_, v) = app.get("/v1/messages?direction=outbound", k).await;
    assert_eq!(len(&v), 2);
    let (_, v) = app
        .get(&format!("/v1/messages?channel_id={}", other_ch.channel), k)
        .await;
    assert_eq!(len(&v), 2);
    let (_, v) = app
        .get("/v1/messages?sent_after=2023-11-14T22:13:30Z", k)
        .await;
    assert_eq!(len(&v), 2, "only the replies sent 60 s later");
    let (_, v) = app
        .get("/v1/messages?sent_before=2023-11-14T22:13:30Z", k)
        .await;
    assert_eq!(len(&v), 2);
    let (s, _) = app
        .get(
            &format!("/v1/messages?session_id={}", uuid::Uuid::now_v7()),
            k,
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/v1/messages?direction=sideways", k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, m) = app.get(&format!("/v1/messages/{}", a.outbound), k).await;
    assert_eq!(
        (m["direction"].as_str(), m["body"].as_str()),
        (Some("outbound"), Some("hi, how can I help?"))
    );
    let (_, v) = app
        .get(&format!("/v1/sessions/{}/messages", a.session), k)
        .await;
    assert_eq!(len(&v), 2);
    let (_, v) = app
        .get(&format!("/v1/contacts/{}/messages", a.contact), k)
        .await;
    assert_eq!(len(&v), 2);
    let (_, s1) = app.get(&format!("/v1/sessions/{}", a.session), k).await;
    assert_eq!(
        (s1["status"].as_str(), s1["contact_messages"].as_i64()),
        (Some("active"), Some(1))
    );
    let (_, v) = app.get("/v1/sessions?status=active", k).await;
    assert_eq!(len(&v), 2);
    let (_, v) = app.get("/v1/sessions?status=ended", k).await;
    assert_eq!(len(&v), 0);
    let (_, v) = app
        .get(&format!("/v1/sessions?channel_id={}", a.channel), k)
        .await;
    assert_eq!(len(&v), 1);
    let (_, v) = app
        .get(
            &format!("/v1/sessions?agent_id={}", uuid::Uuid::now_v7()),
            k,
        )
        .await;
    assert_eq!(len(&v), 0);
    let (_, v) = app
        .get("/v1/sessions?started_before=2000-01-01T00:00:00Z", k)
        .await;
    assert_eq!(len(&v), 0);
    let (_, v) = app
        .get(&format!("/v1/chats?contact_id={}", a.contact), k)
        .await;
    assert_eq!(len(&v), 1);
    let (_, v) = app
        .get("/v1/chats?created_after=2100-01-01T00:00:00Z", k)
        .await;
    assert_eq!(len(&v), 0);
    let (_, c) = app.get(&format!("/v1/chats/{}", a.chat), k).await;
    assert!(c["participants"].is_array() && c["wa_chat_id"].is_string());
}

async fn idempotency_keys_replay_or_reject(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let body = json!({"name": "Once", "phone": "+5511922221111"});
    let h = [("idempotency-key", "create-once-1")];
    let r1 = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(body.clone()),
            &h,
        )
        .await;
    assert_eq!(r1.status, StatusCode::CREATED);
    assert!(r1.headers.get("idempotent-replayed").is_none());
    let r2 = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(body.clone()),
            &h,
        )
        .await;
    assert_eq!(
        (r2.status, &r2.body),
        (StatusCode::CREATED, &r1.body),
        "the stored response"
    );
    assert_eq!(r2.headers["idempotent-replayed"], "true");
    let (_, list) = app.get("/v1/contacts", k).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "ran once");
    let r3 = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(json!({"name": "Other", "phone": "+5511922220000"})),
            &h,
        )
        .await;
    assert_eq!(
        (r3.status, code(&r3.body)),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("idempotency_key_reused")
        )
    );
    // Errors are stored too (a retry gets the same 409), and keys are per caller.
    let dup = [("idempotency-key", "dup-1")];
    let r4 = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(body.clone()),
            &dup,
        )
        .await;
    let r5 = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(body.clone()),
            &dup,
        )
        .await;
    assert_eq!(
        (r4.status, r5.status),
        (StatusCode::CONFLICT, StatusCode::CONFLICT)
    );
    assert_eq!(r5.headers["idempotent-replayed"], "true");
    let other = app.tenant("other").await;
    let r6 = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(&other.api_key),
            Some(body.clone()),
            &h,
        )
        .await;
    assert_eq!(r6.status, StatusCode::CREATED, "another tenant's key space");
    assert_ne!(r6.body["id"], r1.body["id"]);
    let long = "k".repeat(300);
    let r7 = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(body),
            &[("idempotency-key", long.as_str())],
        )
        .await;
    assert_eq!(r7.status, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn correlation_ids_are_echoed_and_reach_events(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let r = app
        .send(
            Method::POST,
            "/v1/contacts",
            Some(k),
            Some(json!({"name": "Traced", "phone": "+5511911110000"})),
            &[("x-correlation-id", "order-4711")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.headers["x-correlation-id"], "order-4711");
    assert!(r.headers.get("x-request-id").is_some());
    let r = app
        .send(Method::GET, "/v1/contacts", Some(k), None, &[])
        .await;
    assert_eq!(
        r.headers["x-correlation-id"], r.headers["x-request-id"],
        "defaults to the request id"
    );
    let r = app
        .send(
            Method::GET,
            "/health",
            None,
            None,
            &[("x-request-id", "req-1")],
        )
        .await;
    assert_eq!(
        (
            r.headers["x-request-id"].to_str().unwrap(),
            r.headers["x-correlation-id"].to_str().unwrap()
        ),
        ("req-1", "req-1")
    );
    app.drain().await;
    let (_, ev) = app.get("/v1/events?limit=200", k).await;
    let created = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "contact.created")
        .unwrap();
    assert_eq!(created["correlation_id"], "order-4711");
    assert_eq!(created["source"], "api");
}

/// Calls every `{id}` route of the spec as tenant B with tenant A's ids: 404, no A data in
/// any body, and A's data unchanged afterwards.
async fn cross_tenant_probe_on_every_id_route(app: &TestApp) {
    let a = app.tenant("alpha").await;
    let b = app.tenant("beta").await;
    let ka = a.api_key.as_str();
    let conv = conversation(app, ka, "5511900001111").await;
    let (_, note) = app
        .call(
            Method::POST,
            &format!("/v1/contacts/{}/notes", conv.contact),
            Some(ka),
            Some(json!({"body": "secret plan"})),
        )
        .await;
    let (_, agent) = app
        .call(
            Method::POST,
            "/v1/agents",
            Some(ka),
            Some(json!({"kind": "bot", "name": "A bot"})),
        )
        .await;
    let user = create_user(app, ka, "someone@alpha.example", "agent").await;
    let (_, key) = app
        .call(
            Method::POST,
            "/v1/api-keys",
            Some(ka),
            Some(json!({"name": "A key", "role": "agent"})),
        )
        .await;
    let (_, project) = app
        .call(
            Method::POST,
            "/v1/projects",
            Some(ka),
            Some(json!({"name": "A project"})),
        )
        .await;
    let (_, pipeline) = app
        .call(
            Method::POST,
            "/v1/pipelines",
            Some(ka),
            Some(json!({"name": "A funnel", "session_timeout_seconds": 600})),
        )
        .await;
    let (_, jobs) = app.get("/v1/jobs", ka).await;
    let job_id = jobs["data"][0]["id"]
        .as_str()
        .expect("the session's timer")
        .to_string();
    let id_of = |prefix: &str| -> String {
        match prefix {
            "contacts" => conv.contact.clone(),
            "chats" => conv.chat.clone(),
            "sessions" => conv.session.clone(),
            "messages" => conv.inbound.clone(),
            "channels" => conv.channel.clone(),
            "notes" => note["id"].as_str().unwrap().into(),
            "agents" => agent["id"].as_str().unwrap().into(),
            "users" => user["id"].as_str().unwrap().into(),
            "api-keys" => key["id"].as_str().unwrap().into(),
            "jobs" => job_id.clone(),
            "projects" => project["id"].as_str().unwrap().into(),
            "pipelines" => pipeline["id"].as_str().unwrap().into(),
            other => panic!("no id of tenant A for /v1/{other}/{{id}}: extend the probe"),
        }
    };
    let foreign = [
        conv.contact.clone(),
        conv.chat.clone(),
        conv.session.clone(),
        conv.inbound.clone(),
        conv.channel.clone(),
        a.tenant_id.clone(),
        "secret plan".into(),
        "5511900001111".into(),
    ];
    let (_, spec) = app.call(Method::GET, "/openapi.json", None, None).await;
    let mut probed = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.contains("{id}") || !path.starts_with("/v1/") {
            continue;
        }
        let prefix = path.trim_start_matches("/v1/").split('/').next().unwrap();
        let concrete = path.replace("{id}", &id_of(prefix));
        for method in ["get", "post", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let body = match (method, prefix) {
                ("post", _) if path.ends_with("/notes") => Some(json!({"body": "probe"})),
                ("post", _) if path.ends_with("/close") => Some(json!({"reason": "probe"})),
                ("post", _) if path.ends_with("/assign") => Some(json!({"agent_id": null})),
                ("post", _) if path.ends_with("/transfer") => {
                    Some(json!({"to_agent_id": uuid::Uuid::now_v7()}))
                }
                ("patch", _) => Some(json!({"name": "Hijacked"})),
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
    let (_, c) = app.get(&format!("/v1/contacts/{}", conv.contact), ka).await;
    assert_ne!(c["name"], "Hijacked");
    let (_, pl) = app
        .get(
            &format!("/v1/pipelines/{}", pipeline["id"].as_str().unwrap()),
            ka,
        )
        .await;
    assert_eq!(pl["name"], "A funnel");
    assert_eq!(
        app.get(&format!("/v1/contacts/{}/notes", conv.contact), ka)
            .await
            .1["data"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get(&format!("/v1/channels/{}", conv.channel), ka)
            .await
            .0,
        StatusCode::OK
    );
    let (_, u) = app
        .get(&format!("/v1/users/{}", user["id"].as_str().unwrap()), ka)
        .await;
    assert!(u["disabled_at"].is_null());
    let (_, keys) = app.get("/v1/api-keys", ka).await;
    assert!(
        keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k["revoked_at"].is_null())
    );
    // And B's lists show none of A's rows.
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
    ] {
        let (s, v) = app.get(list, &b.api_key).await;
        assert_eq!(s, StatusCode::OK, "{list}");
        let text = v.to_string();
        for f in &foreign {
            assert!(!text.contains(f.as_str()), "{list} leaked {f}");
        }
    }
    // No response anywhere carries a password hash, key hash or channel secret.
    for list in [
        "/v1/users",
        "/v1/api-keys",
        "/v1/channels",
        "/v1/events?limit=200",
        "/v1/me",
    ] {
        let text = app.get(list, ka).await.1.to_string();
        assert!(!text.contains("$argon2"), "{list}");
        assert!(!text.contains("waha-secret"), "{list}");
        assert!(
            !text.contains(&ventros_app::secrets::hash_api_key(ka)),
            "{list}"
        );
        assert!(!text.contains(key["key"].as_str().unwrap()), "{list}");
    }
}

async fn jobs_api_shows_timers_and_retries_dead_ones(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let conv = conversation(app, k, "5511988887777").await;
    let (s, v) = app.get("/v1/jobs?status=pending", k).await;
    assert_eq!(s, StatusCode::OK);
    let timer = &v["data"][0];
    assert_eq!(timer["kind"], "session.timeout");
    assert_eq!(
        timer["key"],
        json!(format!("session.timeout:{}", conv.session))
    );
    let id = timer["id"].as_str().unwrap().to_string();
    assert_eq!(
        app.get(&format!("/v1/jobs/{id}"), k).await.1["id"],
        json!(id)
    );
    let (s, v) = app
        .call(Method::POST, &format!("/v1/jobs/{id}/retry"), Some(k), None)
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("job_not_dead"))
    );
    let (s, _) = app.get("/v1/jobs?status=sleeping", k).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The sample messages are from 2023: their session is long past its timeout.
    let jobs = app.running.as_ref().unwrap().jobs.clone();
    assert_eq!(
        jobs.run_until_idle().await.unwrap(),
        2,
        "the timeout, then the metrics job the end armed"
    );
    let (_, ended) = app.get("/v1/sessions?status=ended", k).await;
    assert_eq!(ended["data"][0]["id"], json!(conv.session));
    assert_eq!(ended["data"][0]["end_reason"], "inactivity");
    app.drain().await;
    let (_, tl) = app
        .get(
            &format!("/v1/contacts/{}/events?type=session.ended", conv.contact),
            k,
        )
        .await;
    assert_eq!(tl["data"][0]["summary"], "Conversation ended");

    // A job nobody can run is dead-lettered, visible, and can be retried.
    let (_, me) = app.get("/v1/me", k).await;
    // Due a second ago: Ventros' clock keeps whole milliseconds, `Utc::now()` does not.
    let now = chrono::Utc::now() - chrono::Duration::seconds(1);
    let dead = ventros_domain::job::Job {
        id: ventros_domain::ids::JobId::new(),
        tenant_id: ventros_domain::ids::TenantId(
            me["tenant_id"].as_str().unwrap().parse().unwrap(),
        ),
        project_id: ventros_domain::ids::ProjectId(
            me["project_id"].as_str().unwrap().parse().unwrap(),
        ),
        kind: "nobody.handles.this".into(),
        key: "orphan".into(),
        payload: json!({}),
        run_at: now,
        attempts: 0,
        max_attempts: 3,
        status: ventros_domain::job::JobStatus::Pending,
        last_error: None,
        created_at: now,
        updated_at: now,
    };
    app.store.arm_job(&dead).await.unwrap();
    assert_eq!(jobs.run_until_idle().await.unwrap(), 1);
    let (_, v) = app.get("/v1/jobs?status=dead", k).await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);
    assert!(
        v["data"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("no handler")
    );
    let (s, v) = app
        .call(
            Method::POST,
            &format!("/v1/jobs/{}/retry", dead.id),
            Some(k),
            None,
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str(), v["attempts"].as_i64()),
        (StatusCode::OK, Some("pending"), Some(0))
    );
}

async fn sessions_close_reopen_assign_transfer(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = t.api_key.as_str();
    let conv = conversation(app, k, "5511966660000").await;
    let sid = conv.session.clone();
    let mut agents = Vec::new();
    for name in ["Ana (bot)", "Beto (bot)"] {
        let (_, a) = app
            .call(
                Method::POST,
                "/v1/agents",
                Some(k),
                Some(json!({"kind": "bot", "name": name})),
            )
            .await;
        agents.push(a["id"].as_str().unwrap().to_string());
    }
    let post = |path: String, body: Option<Value>| async move {
        app.call(Method::POST, &path, Some(k), body).await
    };
    let (s, v) = post(
        format!("/v1/sessions/{sid}/assign"),
        Some(json!({"agent_id": agents[0]})),
    )
    .await;
    assert_eq!(
        (s, v["agent_id"].as_str()),
        (StatusCode::OK, Some(agents[0].as_str())),
        "{v}"
    );
    let (s, _) = post(
        format!("/v1/sessions/{sid}/assign"),
        Some(json!({"agent_id": agents[0]})),
    )
    .await;
    assert_eq!(
        s,
        StatusCode::OK,
        "assigning the holder again changes nothing"
    );
    let (s, v) = post(format!("/v1/sessions/{sid}/assign"), Some(json!({}))).await;
    assert_eq!(
        (s, v["error"]["details"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("agent_id"))
    );
    let (s, v) = post(
        format!("/v1/sessions/{sid}/transfer"),
        Some(json!({"to_agent_id": uuid::Uuid::now_v7()})),
    )
    .await;
    assert_eq!(
        (s, v["error"]["details"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("to_agent_id"))
    );
    let (s, v) = post(
        format!("/v1/sessions/{sid}/transfer"),
        Some(json!({"to_agent_id": agents[1], "note": "Wants a refund; order 4711"})),
    )
    .await;
    assert_eq!(
        (s, v["agent_id"].as_str()),
        (StatusCode::OK, Some(agents[1].as_str())),
        "{v}"
    );
    let (_, h) = app.get(&format!("/v1/sessions/{sid}/assignments"), k).await;
    let h = h["data"].as_array().unwrap().clone();
    assert_eq!(h.len(), 2);
    assert_eq!(
        (h[0]["kind"].as_str(), h[0]["agent_id"].as_str()),
        (Some("assign"), Some(agents[0].as_str()))
    );
    assert!(
        h[0]["ended_at"].is_string(),
        "the first interval closed at the transfer"
    );
    assert_eq!(h[0]["ended_at"], h[1]["started_at"]);
    assert_eq!(
        (
            h[1]["kind"].as_str(),
            h[1]["from_agent_id"].as_str(),
            h[1]["note"].as_str()
        ),
        (
            Some("transfer"),
            Some(agents[0].as_str()),
            Some("Wants a refund; order 4711")
        )
    );
    assert!(h[1]["ended_at"].is_null());
    assert!(h[1]["by"].as_str().unwrap().starts_with("api_key:"));
    let (_, v) = app
        .get(&format!("/v1/sessions?agent_id={}", agents[1]), k)
        .await;
    assert_eq!(v["data"].as_array().unwrap().len(), 1);

    // An inactive agent cannot take sessions.
    app.call(
        Method::PATCH,
        &format!("/v1/agents/{}", agents[0]),
        Some(k),
        Some(json!({"active": false})),
    )
    .await;
    let (s, _) = post(
        format!("/v1/sessions/{sid}/transfer"),
        Some(json!({"to_agent_id": agents[0]})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // Close with a reason: ended, interval closed, assignments refused until reopened.
    let (s, _) = post(
        format!("/v1/sessions/{sid}/close"),
        Some(json!({"reason": ""})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = post(
        format!("/v1/sessions/{sid}/close"),
        Some(json!({"reason": "resolved"})),
    )
    .await;
    assert_eq!(
        (s, v["status"].as_str(), v["end_reason"].as_str()),
        (StatusCode::OK, Some("ended"), Some("resolved")),
        "{v}"
    );
    let (s, v) = post(
        format!("/v1/sessions/{sid}/close"),
        Some(json!({"reason": "again"})),
    )
    .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("session_not_active"))
    );
    let (s, _) = post(
        format!("/v1/sessions/{sid}/assign"),
        Some(json!({"agent_id": null})),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (_, h) = app.get(&format!("/v1/sessions/{sid}/assignments"), k).await;
    assert!(h["data"][1]["ended_at"].is_string());

    // Reopen: active again, a fresh inactivity window from now, the agent back on duty.
    let before = chrono::Utc::now();
    let (s, v) = post(format!("/v1/sessions/{sid}/reopen"), None).await;
    assert_eq!(
        (s, v["status"].as_str(), v["ended_at"].is_null()),
        (StatusCode::OK, Some("active"), true),
        "{v}"
    );
    let (s, v) = post(format!("/v1/sessions/{sid}/reopen"), None).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("session_active"))
    );
    let (_, jobs) = app.get("/v1/jobs?status=pending", k).await;
    let timer = jobs["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["key"] == json!(format!("session.timeout:{sid}")))
        .unwrap()
        .clone();
    let run_at: chrono::DateTime<chrono::Utc> = timer["run_at"].as_str().unwrap().parse().unwrap();
    assert!(
        run_at >= before + chrono::Duration::seconds(1790),
        "{run_at}"
    );
    let (_, h) = app.get(&format!("/v1/sessions/{sid}/assignments"), k).await;
    assert_eq!(
        (
            h["data"][2]["kind"].as_str(),
            h["data"][2]["agent_id"].as_str()
        ),
        (Some("reopen"), Some(agents[1].as_str()))
    );
    let (s, v) = post(
        format!("/v1/sessions/{sid}/assign"),
        Some(json!({"agent_id": null})),
    )
    .await;
    assert_eq!((s, v["agent_id"].is_null()), (StatusCode::OK, true));
    let (_, h) = app.get(&format!("/v1/sessions/{sid}/assignments"), k).await;
    assert_eq!(h["data"][3]["kind"], "unassign");

    app.drain().await;
    let (_, ev) = app.get("/v1/events?limit=200", k).await;
    let types: Vec<&str> = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types.iter().filter(|t| **t == "session.assigned").count(),
        3
    );
    assert_eq!(
        types.iter().filter(|t| **t == "session.reopened").count(),
        1
    );
    let ended = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "session.ended")
        .unwrap();
    assert_eq!(
        (
            ended["payload"]["reason"].as_str(),
            ended["correlation_id"].is_string()
        ),
        (Some("resolved"), true)
    );
    assert_eq!(ended["payload"]["contact_messages"], 1);
    assert_eq!(ended["payload"]["agent_id"], json!(agents[1]));
    assert!(
        ended["payload"]["closed_by"]
            .as_str()
            .unwrap()
            .starts_with("api_key:")
    );
}
