//! Channel activation against the WAHA simulator: each check says what is wrong until the
//! session is usable, Ventros writes its own webhook into WAHA, and the live status asks WAHA.

use crate::both_backends;
use crate::helpers::{TestApp, code, id};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use ventros_waha::sim::{Served, SimConfig, Simulator};

both_backends!(
    an_unreachable_waha_fails_the_first_check_and_skips_the_rest,
    a_wrong_key_and_a_missing_session_are_named,
    a_session_waiting_for_its_qr_fails_and_shows_the_qr,
    ventros_writes_its_webhook_then_the_channel_activates,
    a_signed_channel_needs_a_signed_webhook,
    a_channel_made_without_a_reachable_public_url_warns,
    deactivating_stops_the_channel_and_says_so,
    the_status_asks_waha_and_says_when_it_cannot,
);

pub async fn sim() -> Served {
    Simulator::spawn(SimConfig::default(), "127.0.0.1:0")
        .await
        .unwrap()
}

/// A channel on `base_url` with the simulator's key, optionally signed.
pub async fn channel_on(
    app: &TestApp,
    k: &str,
    base_url: &str,
    session: &str,
    hmac: Option<&str>,
) -> String {
    let mut body = json!({"name": "Sales", "waha": {"base_url": base_url, "api_key": "waha-key", "session": session}});
    if let Some(h) = hmac {
        body["webhook_hmac_key"] = json!(h);
    }
    let (s, v) = app.post("/v1/channels", k, body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    id(&v)
}

async fn activate(app: &TestApp, k: &str, ch: &str) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/v1/channels/{ch}/activate"),
        Some(k),
        None,
    )
    .await
}

/// The checks of a refused activation, as (name, ok).
fn checks(v: &Value) -> Vec<(String, bool)> {
    v["error"]["details"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["ok"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn detail<'a>(v: &'a Value, name: &str) -> &'a str {
    v["error"]["details"]["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .and_then(|c| c["detail"].as_str())
        .unwrap()
}

async fn an_unreachable_waha_fails_the_first_check_and_skips_the_rest(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let ch = channel_on(app, &k, &url, "default", None).await;
    let (s, v) = activate(app, &k, &ch).await;
    assert_eq!(
        (s, code(&v)),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("channel_not_ready"))
    );
    assert_eq!(
        checks(&v),
        [
            ("waha_reachable".into(), false),
            ("session_exists".into(), false),
            ("session_working".into(), false),
            ("webhook_configured".into(), false),
            ("webhook_signed".into(), false),
        ]
    );
    assert!(detail(&v, "session_exists").starts_with("not checked"));
    let (_, c) = app.get(&format!("/v1/channels/{ch}"), &k).await;
    assert_eq!(c["active"], false);
}

async fn a_wrong_key_and_a_missing_session_are_named(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let sim = sim().await;
    let (_, v) = app
        .post("/v1/channels", &k, json!({"name": "x", "waha": {"base_url": sim.base_url(), "api_key": "not-the-key", "session": "default"}}))
        .await;
    let (_, r) = activate(app, &k, &id(&v)).await;
    assert!(
        detail(&r, "waha_reachable").contains("refused the channel's API key"),
        "{r}"
    );
    let ch = channel_on(app, &k, &sim.base_url(), "nobody", None).await;
    let (_, r) = activate(app, &k, &ch).await;
    assert_eq!(
        checks(&r)[..2],
        [
            ("waha_reachable".into(), true),
            ("session_exists".into(), false)
        ]
    );
    assert!(detail(&r, "session_exists").contains("\"nobody\""), "{r}");
}

async fn a_session_waiting_for_its_qr_fails_and_shows_the_qr(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let sim = sim().await;
    let ch = channel_on(app, &k, &sim.base_url(), "default", None).await;
    let qr = app
        .send(
            Method::GET,
            &format!("/v1/channels/{ch}/qr"),
            Some(&k),
            None,
            &[],
        )
        .await;
    assert_eq!(
        (qr.status, code(&qr.body)),
        (StatusCode::CONFLICT, Some("session_not_scanning"))
    );
    reqwest::Client::new()
        .post(format!("{}/sim/sessions/default/status", sim.base_url()))
        .json(&json!({"status": "SCAN_QR_CODE"}))
        .send()
        .await
        .unwrap();
    let (_, r) = activate(app, &k, &ch).await;
    assert_eq!(checks(&r)[2], ("session_working".into(), false));
    assert!(
        detail(&r, "session_working").contains("SCAN_QR_CODE"),
        "{r}"
    );
    let png = app
        .client
        .get(format!("{}/v1/channels/{ch}/qr", app.base))
        .bearer_auth(&k)
        .send()
        .await
        .unwrap();
    assert_eq!(png.status(), StatusCode::OK);
    assert_eq!(png.headers()["content-type"], "image/png");
    assert!(png.bytes().await.unwrap().starts_with(b"\x89PNG"));
}

async fn ventros_writes_its_webhook_then_the_channel_activates(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let sim = sim().await;
    let ch = channel_on(app, &k, &sim.base_url(), "default", None).await;
    let (_, r) = activate(app, &k, &ch).await;
    assert_eq!(checks(&r)[3], ("webhook_configured".into(), false), "{r}");
    let (s, w) = app
        .call(
            Method::POST,
            &format!("/v1/channels/{ch}/webhook"),
            Some(&k),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{w}");
    let (_, c) = app.get(&format!("/v1/channels/{ch}"), &k).await;
    assert_eq!(w["webhook"]["url"], c["webhook_url"]);
    let events = w["webhook"]["events"].as_array().unwrap();
    assert!(
        events.iter().all(|e| e.as_str().is_some_and(|e| e != "*")),
        "exact names only"
    );
    assert!(events.contains(&json!("message.any")) && events.contains(&json!("message.ack")));
    let (s, a) = activate(app, &k, &ch).await;
    assert_eq!(s, StatusCode::OK, "{a}");
    assert_eq!(a["status"], "active");
    assert!(
        a["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["ok"] == true),
        "{a}"
    );
    assert_eq!(a["channel"]["active"], true);
    assert!(
        app.event_types(&k)
            .await
            .contains(&"channel.activated".to_string())
    );
    // What WAHA now holds is what activation checked against: a real event reaches Ventros.
    crate::sending::inbound(&sim, "5511977776666", "hello").await;
    let contacts = app.list("/v1/contacts?phone=5511977776666", &k).await;
    assert_eq!(contacts.len(), 1);
}

async fn a_signed_channel_needs_a_signed_webhook(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let sim = Simulator::spawn(SimConfig::default(), "127.0.0.1:0")
        .await
        .unwrap();
    let ch = channel_on(
        app,
        &k,
        &sim.base_url(),
        "default",
        Some("a-shared-hmac-key-123"),
    )
    .await;
    let (_, c) = app.get(&format!("/v1/channels/{ch}"), &k).await;
    // A webhook someone set up by hand, unsigned.
    let config = json!({"webhooks": [{"url": c["webhook_url"], "events": ["message.any", "message.ack", "message.revoked", "session.status"]}]});
    reqwest::Client::new()
        .put(format!("{}/api/sessions/default", sim.base_url()))
        .header("x-api-key", "waha-key")
        .json(&json!({"name": "default", "config": config}))
        .send()
        .await
        .unwrap();
    let (_, r) = activate(app, &k, &ch).await;
    assert_eq!(checks(&r)[4], ("webhook_signed".into(), false), "{r}");
    let (_, w) = app
        .call(
            Method::POST,
            &format!("/v1/channels/{ch}/webhook"),
            Some(&k),
            None,
        )
        .await;
    assert_eq!(
        w["webhook"]["hmac"],
        json!({"key": "***"}),
        "the key is not shown back"
    );
    let (s, _) = activate(app, &k, &ch).await;
    assert_eq!(s, StatusCode::OK);
    // Signed with the channel's key, or Ventros would answer 401.
    crate::sending::inbound(&sim, "5511977775555", "signed").await;
}

async fn deactivating_stops_the_channel_and_says_so(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let sim = sim().await;
    let ch = channel_on(app, &k, &sim.base_url(), "default", None).await;
    app.call(
        Method::POST,
        &format!("/v1/channels/{ch}/webhook"),
        Some(&k),
        None,
    )
    .await;
    assert_eq!(activate(app, &k, &ch).await.0, StatusCode::OK);
    let (s, c) = app
        .call(
            Method::POST,
            &format!("/v1/channels/{ch}/deactivate"),
            Some(&k),
            None,
        )
        .await;
    assert_eq!((s, c["active"].clone()), (StatusCode::OK, json!(false)));
    assert!(
        app.event_types(&k)
            .await
            .contains(&"channel.deactivated".to_string())
    );
}

async fn the_status_asks_waha_and_says_when_it_cannot(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let sim = sim().await;
    let ch = channel_on(app, &k, &sim.base_url(), "default", None).await;
    let (_, st) = app.get(&format!("/v1/channels/{ch}/status"), &k).await;
    assert_eq!(
        (
            st["status"].clone(),
            st["live"].clone(),
            st["reported_status"].clone()
        ),
        (json!("WORKING"), json!(true), json!("UNKNOWN")),
        "{st}"
    );
    // A WAHA that does not answer (nothing listens on the discard port). Stopping the
    // simulator instead is not enough: a pooled keep-alive connection can still reach it.
    let gone = channel_on(app, &k, "http://127.0.0.1:9", "default", None).await;
    let (_, st) = app.get(&format!("/v1/channels/{gone}/status"), &k).await;
    assert_eq!(
        (st["status"].clone(), st["live"].clone()),
        (json!("UNKNOWN"), json!(false)),
        "{st}"
    );
    assert!(st["error"].as_str().is_some_and(|e| !e.is_empty()));
}

/// The test server runs without VENTROS_PUBLIC_URL, on 127.0.0.1.
async fn a_channel_made_without_a_reachable_public_url_warns(app: &TestApp) {
    let k = app.tenant("acme").await.api_key;
    let (_, v) = app
        .post("/v1/channels", &k, json!({"name": "x", "waha": {"base_url": "http://waha:3000", "api_key": "k", "session": "default"}}))
        .await;
    let w = v["warnings"].as_array().unwrap();
    assert!(w[0].as_str().unwrap().contains("VENTROS_PUBLIC_URL"), "{v}");
    let (_, again) = app.get(&format!("/v1/channels/{}", id(&v)), &k).await;
    assert!(again.get("warnings").is_none(), "only on creation");
}
