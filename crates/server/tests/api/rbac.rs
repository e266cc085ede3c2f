//! The permission matrix over HTTP: every permission, for every role, on an endpoint that
//! needs it (allowed → success, denied → 403 naming the permission).

use crate::both_backends;
use crate::helpers::{Conversation, TestApp, code, conversation};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_domain::rbac::Permission;
use ventros_domain::tenancy::Role;

both_backends!(every_permission_is_enforced_for_every_role);

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
        Permission::WebhooksManage => (Method::GET, "/v1/webhooks".into(), None),
        Permission::MessagesSend => {
            return None;
        }
    })
}

async fn every_permission_is_enforced_for_every_role(app: &TestApp) {
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
