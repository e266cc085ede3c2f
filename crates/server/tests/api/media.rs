//! Ventros' own media store over HTTP: customers' media downloaded from the WAHA simulator
//! within the ingest job, served with ranges; expiry and size limits recorded; uploads sent
//! by `media_id`; one tenant never reads another's file.

use crate::both_backends;
use crate::helpers::{TestApp, code, id, upload};
use crate::sending::{Line, line, send};
use base64::Engine as _;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use ventros_waha::sim::{Engine, SimConfig, Simulator};

both_backends!(
    a_customers_photo_is_stored_and_served_with_ranges,
    media_waha_no_longer_has_is_recorded_expired,
    an_upload_is_sent_by_its_id_as_its_bytes,
    another_tenant_never_reads_a_file,
);

fn photo() -> Vec<u8> {
    (0..5_000u32).map(|i| (i * 7 % 251) as u8).collect()
}

/// A customer's photo through the simulator; the message as stored.
async fn customer_sends(app: &TestApp, l: &Line, bytes: &[u8]) -> Value {
    crate::sending::sim_inbound(
        &l.sim,
        json!({"from": "5511977776666", "text": "my receipt", "media": {
            "mimetype": "image/jpeg", "filename": "receipt.jpg",
            "data": base64::engine::general_purpose::STANDARD.encode(bytes)}}),
    )
    .await;
    let all = app
        .list(&format!("/v1/chats/{}/messages", l.chat), &l.key)
        .await;
    all.last().unwrap().clone()
}

async fn get_raw(
    app: &TestApp,
    path: &str,
    key: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut r = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(key);
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    r.send().await.unwrap()
}

async fn a_customers_photo_is_stored_and_served_with_ranges(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let bytes = photo();
    let m = customer_sends(app, &l, &bytes).await;
    let file = m["media"]["file_id"].as_str().unwrap().to_string();
    let f = app
        .ok(Method::GET, &format!("/v1/media/{file}"), &l.key, None)
        .await;
    assert_eq!(f["status"], "pending", "{f}");
    assert!(f.get("source_url").is_none(), "WAHA's URL is never shown");
    let path = format!("/v1/messages/{}/media", id(&m));
    let (s, v) = app.get(&path, &l.key).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, Some("media_not_stored"))
    );
    app.jobs().run_until_idle().await.unwrap();
    let f = app
        .ok(Method::GET, &format!("/v1/media/{file}"), &l.key, None)
        .await;
    let sha = hex::encode(Sha256::digest(&bytes));
    assert_eq!(f["status"], "stored", "{f}");
    assert_eq!(
        (f["size"].as_i64(), f["sha256"].as_str()),
        (Some(5_000), Some(sha.as_str()))
    );
    let r = get_raw(app, &path, &l.key, &[]).await;
    assert_eq!(r.status(), StatusCode::OK);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/jpeg");
    assert_eq!(h["content-length"], "5000");
    assert_eq!(h["accept-ranges"], "bytes");
    assert_eq!(h["etag"], format!("\"{sha}\"").as_str());
    assert_eq!(h["content-disposition"], "inline; filename=\"receipt.jpg\"");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes);
    let r = get_raw(app, &path, &l.key, &[("range", "bytes=100-199")]).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.headers()["content-range"], "bytes 100-199/5000");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes[100..200]);
    let r = get_raw(app, &path, &l.key, &[("range", "bytes=-10")]).await;
    assert_eq!(r.headers()["content-range"], "bytes 4990-4999/5000");
    assert_eq!(r.bytes().await.unwrap().to_vec(), bytes[4_990..]);
    let r = get_raw(app, &path, &l.key, &[("range", "bytes=9000-")]).await;
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(r.headers()["content-range"], "bytes */5000");
    let etag = format!("\"{sha}\"");
    let r = get_raw(app, &path, &l.key, &[("if-none-match", etag.as_str())]).await;
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let types = app.event_types(&l.key).await;
    assert!(
        types.contains(&"message.media_stored".to_string()),
        "{types:?}"
    );
}

async fn media_waha_no_longer_has_is_recorded_expired(app: &TestApp) {
    let key = app.tenant("acme").await.api_key;
    let sim = Simulator::spawn(
        SimConfig {
            files_lifetime: std::time::Duration::ZERO,
            ..SimConfig::default()
        },
        "127.0.0.1:0",
    )
    .await
    .unwrap();
    let channel = crate::activation::channel_on(app, &key, &sim.base_url(), "default", None).await;
    for step in ["webhook", "activate"] {
        app.ok(
            Method::POST,
            &format!("/v1/channels/{channel}/{step}"),
            &key,
            None,
        )
        .await;
    }
    let l = Line {
        sim,
        key,
        channel,
        chat: String::new(),
    };
    crate::sending::sim_inbound(
        &l.sim,
        json!({"from": "5511977776666", "media": {"mimetype": "audio/ogg", "filename": "note.ogg"}}),
    )
    .await;
    let m = &app.list("/v1/messages", &l.key).await[0];
    app.jobs().run_until_idle().await.unwrap();
    let f = app
        .ok(
            Method::GET,
            &format!("/v1/media/{}", m["media"]["file_id"].as_str().unwrap()),
            &l.key,
            None,
        )
        .await;
    assert_eq!(f["status"], "expired", "{f}");
    assert!(f["error"].as_str().unwrap().contains("180"), "{f}");
    let (s, v) = app
        .get(&format!("/v1/messages/{}/media", id(m)), &l.key)
        .await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::CONFLICT, Some("media_not_stored"))
    );
    assert!(v["error"]["message"].as_str().unwrap().contains("expired"));
    // Recorded, not retried forever: no download job is left.
    let pending = app.list("/v1/jobs?status=pending", &l.key).await;
    assert!(
        pending.iter().all(|j| j["kind"] != "media.download"),
        "{pending:?}"
    );
}

async fn an_upload_is_sent_by_its_id_as_its_bytes(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let pdf = b"%PDF-1.4 quote".to_vec();
    let (s, f) = upload(app, &l.key, pdf.clone(), "application/pdf", "../quote.pdf").await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
    assert_eq!(f["filename"], "quote.pdf", "no path in a name");
    assert_eq!(f["sha256"], hex::encode(Sha256::digest(&pdf)));
    let m = send(
        app,
        &l,
        json!({"type": "file", "media": {"media_id": f["id"]}, "caption": "Your quote"}),
    )
    .await;
    assert_eq!(m["media"]["file_id"], f["id"]);
    app.jobs().run_until_idle().await.unwrap();
    let sent = &l.sim.sim.sent()[0];
    assert_eq!(sent.kind, "sendFile");
    let file = &sent.request["file"];
    assert_eq!(file["mimetype"], "application/pdf");
    assert_eq!(file["filename"], "quote.pdf");
    assert_eq!(
        file["data"],
        base64::engine::general_purpose::STANDARD.encode(&pdf),
        "{file}"
    );
    let (s, v) = app
        .post(
            &format!("/v1/chats/{}/messages", l.chat),
            &l.key,
            json!({"type": "image", "media": {"media_id": uuid::Uuid::now_v7()}}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, _) = upload(app, &l.key, Vec::new(), "image/png", "empty.png").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

async fn another_tenant_never_reads_a_file(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let m = customer_sends(app, &l, &photo()).await;
    app.jobs().run_until_idle().await.unwrap();
    let other = app.tenant("other").await.api_key;
    let (s, _) = app
        .get(&format!("/v1/messages/{}/media", id(&m)), &other)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let file = m["media"]["file_id"].as_str().unwrap();
    let (s, _) = app.get(&format!("/v1/media/{file}"), &other).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // The files on disk are under the owning tenant's id.
    let tenant = app.ok(Method::GET, "/v1/me", &l.key, None).await["tenant_id"]
        .as_str()
        .unwrap()
        .to_string();
    let stored = app.media.path().join(&tenant).join("media").join(file);
    assert!(stored.exists(), "{}", stored.display());
}

/// Files over `VENTROS_MEDIA_MAX_BYTES` are not kept: a customer's is recorded `too_large`,
/// an upload is 413.
async fn files_over_the_limit_are_not_kept(app: &TestApp) {
    let l = line(app, "acme", Engine::Noweb).await;
    let m = customer_sends(app, &l, &vec![7u8; 4_096]).await;
    app.jobs().run_until_idle().await.unwrap();
    let f = app
        .ok(
            Method::GET,
            &format!("/v1/media/{}", m["media"]["file_id"].as_str().unwrap()),
            &l.key,
            None,
        )
        .await;
    assert_eq!(f["status"], "too_large", "{f}");
    assert!(f["size"].is_null() && f["sha256"].is_null());
    let (s, v) = upload(app, &l.key, vec![1u8; 4_096], "image/png", "big.png").await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large")),
        "{v}"
    );
    let (s, _) = upload(app, &l.key, vec![1u8; 512], "image/png", "small.png").await;
    assert_eq!(s, StatusCode::CREATED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_over_the_limit_are_not_kept_sqlite() {
    if let Some(app) = TestApp::sqlite_with(|c| c.media_max_bytes = 1024).await {
        files_over_the_limit_are_not_kept(&app).await;
        app.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_over_the_limit_are_not_kept_postgres() {
    if let Some(app) = TestApp::postgres_with(|c| c.media_max_bytes = 1024).await {
        files_over_the_limit_are_not_kept(&app).await;
        app.stop().await;
    }
}
