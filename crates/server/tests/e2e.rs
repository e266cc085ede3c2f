#![allow(clippy::unwrap_used, clippy::expect_used)]
//! End to end over HTTP: channel registration, WAHA webhooks in, CRM state and the contact
//! timeline out, on SQLite and (when configured) PostgreSQL.

mod support;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use support::TestApp;
use ventros_testkit::fixture;
use ventros_waha::{sample, sign_hex};

both_backends!(
    walkthrough_from_channel_to_timeline,
    webhook_security_and_bad_input,
    tenants_get_404_for_each_others_ids,
    api_validation_and_pagination,
);

async fn walkthrough_from_channel_to_timeline(app: &TestApp) {
    let t = app.tenant("acme").await;
    let ch = app.channel(&t.api_key, None).await;
    let id = ch["id"].as_str().unwrap();
    assert_eq!(
        ch["webhook_url"],
        json!(format!("{}/webhooks/waha/{id}", app.base))
    );
    assert_eq!(ch["status"], "UNKNOWN");
    assert!(
        ch.get("api_key").is_none() && !ch.to_string().contains("waha-secret"),
        "secrets never come back"
    );

    let (s, v) = app
        .webhook(id, &fixture("webhook-session-status-working.json"), &[])
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("processed"))
    );
    let (_, c) = app.get(&format!("/v1/channels/{id}"), &t.api_key).await;
    assert_eq!(c["status"], "WORKING");

    let (s, v) = app
        .webhook(
            id,
            &fixture("webhook-message-image-noweb-captured.json"),
            &[],
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("processed"))
    );
    // WAHA retries: same answer, nothing new.
    let (s, v) = app
        .webhook(
            id,
            &fixture("webhook-message-image-noweb-captured.json"),
            &[],
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("duplicate"))
    );

    // `+` optional in the phone filter.
    let (s, contacts) = app.get("/v1/contacts?phone=79069471990", &t.api_key).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(contacts["data"].as_array().unwrap().len(), 1);
    let contact = &contacts["data"][0];
    assert_eq!(contact["phone"], "+79069471990");
    let cid = contact["id"].as_str().unwrap();
    let (_, same) = app.get(&format!("/v1/contacts/{cid}"), &t.api_key).await;
    assert_eq!(same["id"], contact["id"]);

    let (_, chats) = app
        .get(
            &format!("/v1/chats?contact_id={cid}&channel_id={id}"),
            &t.api_key,
        )
        .await;
    assert_eq!(chats["data"].as_array().unwrap().len(), 1);
    let chat_id = chats["data"][0]["id"].as_str().unwrap();
    let (_, msgs) = app
        .get(&format!("/v1/chats/{chat_id}/messages"), &t.api_key)
        .await;
    assert_eq!(msgs["next_cursor"], Value::Null);
    let m = &msgs["data"][0];
    assert_eq!(
        (
            m["direction"].as_str(),
            m["content_type"].as_str(),
            m["body"].as_str()
        ),
        (Some("inbound"), Some("image"), Some("Hi there's!"))
    );
    assert_eq!(m["media"]["mimetype"], "image/jpeg");

    let (_, sessions) = app
        .get(&format!("/v1/sessions?contact_id={cid}"), &t.api_key)
        .await;
    assert_eq!(sessions["data"][0]["status"], "active");
    assert_eq!(sessions["data"][0]["contact_messages"], 1);

    // The timeline is written by the consumer once the relay publishes.
    let (_, before) = app
        .get(&format!("/v1/contacts/{cid}/events"), &t.api_key)
        .await;
    assert_eq!(before["data"].as_array().unwrap().len(), 0);
    assert!(app.drain().await >= 6);
    let (_, tl) = app
        .get(&format!("/v1/contacts/{cid}/events"), &t.api_key)
        .await;
    let kinds: Vec<(String, String)> = tl["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().into(),
                e["category"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("contact.created".into(), "lifecycle".into()),
            ("session.started".into(), "conversation".into())
        ]
    );
    let (_, only) = app
        .get(
            &format!("/v1/contacts/{cid}/events?type=session.started&category=conversation"),
            &t.api_key,
        )
        .await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    let (_, none) = app
        .get(
            &format!("/v1/contacts/{cid}/events?category=call"),
            &t.api_key,
        )
        .await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0);

    // The event feed shows the envelope with versions and correlation.
    let (_, ev) = app.get("/v1/events?limit=200", &t.api_key).await;
    let types: Vec<&str> = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    for ty in [
        "tenant.created",
        "channel.created",
        "channel.status_changed",
        "contact.created",
        "chat.created",
        "session.started",
        "message.received",
    ] {
        assert!(types.contains(&ty), "{ty} missing from {types:?}");
    }
    let (_, ready) = app.call(Method::GET, "/ready", None, None).await;
    assert_eq!(ready["outbox"]["pending"], 0);
}

async fn webhook_security_and_bad_input(app: &TestApp) {
    let t = app.tenant("acme").await;
    let key = "a-long-webhook-hmac-secret";
    let ch = app.channel(&t.api_key, Some(key)).await;
    assert_eq!(ch["webhook_signed"], true);
    let id = ch["id"].as_str().unwrap();
    let body = sample::text_message(
        Some("evt_sig"),
        "5511999998888",
        "SIG1",
        false,
        "hi",
        1_700_000_000,
    );

    let (s_missing, v_missing) = app.webhook(id, &body, &[]).await;
    let (s_bad, v_bad) = app
        .webhook(id, &body, &[("x-webhook-hmac", &"0".repeat(128))])
        .await;
    let (s_unknown, v_unknown) = app
        .webhook(&uuid::Uuid::now_v7().to_string(), &body, &[])
        .await;
    let (s_garbage, v_garbage) = app.webhook("not-a-uuid", &body, &[]).await;
    for (s, v) in [
        (s_missing, &v_missing),
        (s_bad, &v_bad),
        (s_unknown, &v_unknown),
        (s_garbage, &v_garbage),
    ] {
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(
            v, &v_missing,
            "unknown channel and bad signature look the same"
        );
    }
    assert_eq!(v_missing["error"]["code"], "unauthorized");

    let sig = sign_hex(key, &body);
    let (s, v) = app
        .webhook(
            id,
            &body,
            &[
                ("x-webhook-hmac", &sig),
                ("x-webhook-hmac-algorithm", "sha512"),
            ],
        )
        .await;
    assert_eq!(
        (s, v["status"].as_str()),
        (StatusCode::OK, Some("processed"))
    );

    // A signed body altered in transit is refused.
    let mut tampered = body.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        app.webhook(id, &tampered, &[("x-webhook-hmac", &sig)])
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    let bad_json = b"{not json";
    let (s, v) = app
        .webhook(
            id,
            bad_json,
            &[("x-webhook-hmac", &sign_hex(key, bad_json))],
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json"))
    );

    // Bigger than the limit (64 KiB in tests): 413 before anything is stored.
    let big = format!(
        "{{\"event\":\"message\",\"payload\":{{\"body\":\"{}\"}}}}",
        "x".repeat(70 * 1024)
    );
    let (s, v) = app
        .webhook(
            id,
            big.as_bytes(),
            &[("x-webhook-hmac", &sign_hex(key, big.as_bytes()))],
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );

    // Events we do not act on are kept and acknowledged, so WAHA does not retry them.
    let label = fixture("webhook-label-upsert.json");
    let (s, v) = app
        .webhook(id, &label, &[("x-webhook-hmac", &sign_hex(key, &label))])
        .await;
    assert_eq!((s, v["status"].as_str()), (StatusCode::OK, Some("ignored")));

    let (_, ev) = app.get("/v1/events?limit=200", &t.api_key).await;
    let received = ev["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "message.received")
        .count();
    assert_eq!(received, 1);
}

async fn tenants_get_404_for_each_others_ids(app: &TestApp) {
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
    let (_, contacts) = app.get("/v1/contacts", &a.api_key).await;
    let cid = contacts["data"][0]["id"].as_str().unwrap().to_string();
    let (_, chats) = app.get("/v1/chats", &a.api_key).await;
    let chat = chats["data"][0]["id"].as_str().unwrap().to_string();

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
        let (s, v) = app.get(path, &b.api_key).await;
        assert_eq!(s, StatusCode::OK);
        let leaked = v["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e.to_string().contains(&a.tenant_id));
        assert!(!leaked, "{path}: {v}");
    }
    let (_, bc) = app.get("/v1/contacts", &b.api_key).await;
    assert!(bc["data"].as_array().unwrap().is_empty());
}

async fn api_validation_and_pagination(app: &TestApp) {
    let t = app.tenant("acme").await;
    let k = Some(t.api_key.as_str());
    let (s, v) = app.call(Method::POST, "/v1/channels", k, Some(json!({"name": "x", "waha": {"base_url": "ftp://nope", "api_key": "k", "session": "default"}}))).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("validation_failed"))
    );
    assert_eq!(v["error"]["details"]["fields"][0]["field"], "waha.base_url");
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/channels",
            k,
            Some(json!({"name": "x", "waha": {"base_url": "http://w", "session": "default"}})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(
        v["error"]["message"].as_str().unwrap().contains("api_key"),
        "{v}"
    );
    let (s, v) = app.call(Method::POST, "/v1/channels", k, Some(json!({"name": "x", "tenant_id": "evil", "waha": {"base_url": "http://w", "api_key": "k", "session": "s"}}))).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "unknown fields are refused: {v}"
    );
    let resp = app
        .client
        .post(format!("{}/v1/channels", app.base))
        .bearer_auth(&t.api_key)
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "invalid_json"
    );
    let (s, v) = app
        .call(
            Method::POST,
            "/v1/channels",
            Some("vtr_wrong"),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthorized"))
    );

    let (s, v) = app.get("/v1/contacts?phone=abc", &t.api_key).await;
    assert_eq!(
        (s, v["error"]["details"]["fields"][0]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phone"))
    );
    let (s, _) = app.get("/v1/contacts?cursor=garbage", &t.api_key).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app.get("/v1/contacts?bogus=1", &t.api_key).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_query"))
    );
    let (s, _) = app.get("/v1/chats?contact_id=not-a-uuid", &t.api_key).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, v) = app.get("/v1/nothing-here", &t.api_key).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );

    // Pagination walks every contact exactly once.
    let ch = app.channel(&t.api_key, None).await;
    let id = ch["id"].as_str().unwrap();
    for i in 0..7 {
        let b = sample::text_message(
            Some(&format!("evt_p{i}")),
            &format!("55119000000{i:02}"),
            &format!("P{i}"),
            false,
            "oi",
            1_700_000_000 + i,
        );
        assert_eq!(app.webhook(id, &b, &[]).await.0, StatusCode::OK);
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut cursor = String::new();
    loop {
        let (s, page) = app
            .get(&format!("/v1/contacts?limit=3&cursor={cursor}"), &t.api_key)
            .await;
        assert_eq!(s, StatusCode::OK);
        let data = page["data"].as_array().unwrap();
        assert!(data.len() <= 3);
        for c in data {
            assert!(
                seen.insert(c["id"].as_str().unwrap().to_string()),
                "a contact came twice"
            );
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = c.to_string(),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7);
}

#[test]
fn cli_creates_a_tenant_and_prints_json() {
    let dir = std::env::temp_dir().join(format!("ventros-cli-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("cli.db").display());
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ventros"))
        .args([
            "tenant",
            "create",
            "--name",
            "Acme",
            "--admin-email",
            "admin@acme.example",
            "--admin-password",
            "long enough",
            "--json",
        ])
        .env("VENTROS_DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    for k in ["tenant_id", "project_id", "user_id", "api_key"] {
        assert!(v[k].is_string(), "{k} missing: {v}");
    }
    assert!(v["api_key"].as_str().unwrap().starts_with("vtr_"));
    // A bad password is refused with a reason and a failing exit code.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_ventros"))
        .args([
            "tenant",
            "create",
            "--name",
            "Acme",
            "--admin-email",
            "a@acme.example",
            "--admin-password",
            "short",
            "--json",
        ])
        .env("VENTROS_DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("password"));
    // An unknown scheme fails at start with a sentence that says what to do.
    let scheme = std::process::Command::new(env!("CARGO_BIN_EXE_ventros"))
        .arg("migrate")
        .env("VENTROS_DATABASE_URL", "mysql://x")
        .output()
        .unwrap();
    assert!(!scheme.status.success());
    assert!(String::from_utf8_lossy(&scheme.stderr).contains("sqlite://"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_and_webhook_outcomes() {
    let app = TestApp::sqlite().await.unwrap();
    let t = app.tenant("acme").await;
    let ch = app.channel(&t.api_key, None).await;
    let id = ch["id"].as_str().unwrap();
    app.webhook(
        id,
        &sample::text_message(
            Some("evt_m1"),
            "5511999998888",
            "M1",
            false,
            "oi",
            1_700_000_000,
        ),
        &[],
    )
    .await;
    app.webhook(
        id,
        &sample::text_message(
            Some("evt_m1"),
            "5511999998888",
            "M1",
            false,
            "oi",
            1_700_000_000,
        ),
        &[],
    )
    .await;
    app.webhook(id, br#"{"event":"made.up.event","payload":{}}"#, &[])
        .await;
    let missing = uuid::Uuid::now_v7();
    assert_eq!(
        app.get(&format!("/v1/contacts/{missing}"), &t.api_key)
            .await
            .0,
        StatusCode::NOT_FOUND
    );

    let scrape = || async {
        app.client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let before_drain = scrape().await;
    let pending_line = before_drain
        .lines()
        .find(|l| l.starts_with("ventros_outbox_pending "))
        .unwrap();
    assert_ne!(
        pending_line, "ventros_outbox_pending 0",
        "events are waiting before the relay runs"
    );
    app.drain().await;
    let text = scrape().await;
    let has = |parts: &[&str]| text.lines().any(|l| parts.iter().all(|p| l.contains(p)));
    assert!(
        has(&[
            "ventros_webhook_deliveries_total{",
            "event=\"message\"",
            "outcome=\"processed\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_webhook_deliveries_total{",
            "event=\"message\"",
            "outcome=\"duplicate\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_webhook_deliveries_total{",
            "event=\"other\"",
            "outcome=\"ignored\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_http_requests_total{",
            "route=\"/v1/contacts/{id}\"",
            "status=\"404\""
        ]),
        "{text}"
    );
    assert!(
        has(&[
            "ventros_http_request_duration_seconds_bucket{",
            "route=\"/webhooks/waha/{channel_id}\""
        ]),
        "{text}"
    );
    assert!(
        text.lines().any(|l| l == "ventros_outbox_pending 0"),
        "{text}"
    );
    assert!(has(&["ventros_db_pool_connections"]), "{text}");
    // The 2023 message's session timer is overdue: no runner runs here.
    let gauge = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert!(gauge("ventros_jobs_due") >= 1.0, "{text}");
    assert!(
        gauge("ventros_jobs_oldest_due_age_seconds") > 86_400.0,
        "{text}"
    );
    assert_eq!(gauge("ventros_jobs_dead"), 0.0, "{text}");
    assert!(
        !text.contains(&missing.to_string()) && !text.contains(id),
        "ids must never become labels"
    );
    app.stop().await;
}
