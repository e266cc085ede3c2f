#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
//! A Ventros on port 0 over a fresh database, with workers off so tests drive the relay.

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;
use std::sync::Arc;
use ventros_app::ports::{Store, SystemClock};
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_server::config::Config;
use ventros_server::{Roles, Running, Storage, start};
use ventros_storage_postgres::{PgStore, TestDatabase, provision_test_database};
use ventros_storage_sqlite::SqliteStore;

pub struct TestApp {
    pub running: Option<Running>,
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    pg: Option<(PgStore, TestDatabase)>,
}

pub struct TenantKeys {
    pub api_key: String,
    pub tenant_id: String,
    pub email: String,
    pub password: String,
}

/// A response: status, headers and JSON body (or the text as a JSON string).
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl TestApp {
    pub async fn sqlite() -> Option<TestApp> {
        Self::sqlite_with(|_| {}).await
    }

    pub async fn postgres() -> Option<TestApp> {
        Self::postgres_with(|_| {}).await
    }

    /// A SQLite-backed app whose configuration `configure` adjusts.
    pub async fn sqlite_with(configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let dir = std::env::temp_dir().join(format!("ventros-e2e-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("e2e.db").display());
        let s = SqliteStore::connect(&url).await.unwrap();
        s.migrate().await.unwrap();
        Some(Self::boot(s.into(), &url, None, configure).await)
    }

    pub async fn postgres_with(configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let url = ventros_testkit::postgres_url("e2e")?;
        let db = provision_test_database(&url).await.unwrap();
        let s = PgStore::connect_with(db.app.clone(), 8).await.unwrap();
        s.verify_rls_role().await.unwrap();
        Some(Self::boot(s.clone().into(), "", Some((s, db)), configure).await)
    }

    async fn boot(
        storage: Storage,
        url: &str,
        pg: Option<(PgStore, TestDatabase)>,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut cfg = Config::for_database(url, "127.0.0.1:0");
        cfg.webhook_max_bytes = 64 * 1024;
        cfg.jwt_secret = Some("test-signing-secret-of-at-least-32-bytes".into());
        cfg.rate_limit_per_minute = 60_000;
        cfg.rate_limit_burst = 10_000;
        configure(&mut cfg);
        let store = storage.store.clone();
        let running = start(
            &cfg,
            storage,
            Roles {
                http: true,
                workers: false,
            },
        )
        .await
        .unwrap();
        TestApp {
            base: running.base_url(),
            running: Some(running),
            client: Client::new(),
            store,
            pg,
        }
    }

    pub async fn tenant(&self, name: &str) -> TenantKeys {
        let t = create_tenant(
            self.store.as_ref(),
            &SystemClock,
            CreateTenant {
                name: name.into(),
                admin_email: format!("admin@{name}.example"),
                admin_password: "long enough password".into(),
            },
        )
        .await
        .unwrap();
        TenantKeys {
            api_key: t.api_key,
            tenant_id: t.tenant_id.to_string(),
            email: format!("admin@{name}.example"),
            password: "long enough password".into(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    /// Any request, with extra headers, returning headers too.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        key: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut r = self.client.request(method, format!("{}{path}", self.base));
        if let Some(k) = key {
            r = r.bearer_auth(k);
        }
        if let Some(b) = body {
            r = r.json(&b);
        }
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        }
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(serde_json::json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["access_token"].as_str().unwrap().to_string()
    }

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn webhook(
        &self,
        channel: &str,
        body: &[u8],
        headers: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let mut r = self
            .client
            .post(format!("{}/webhooks/waha/{channel}", self.base))
            .header("content-type", "application/json")
            .body(body.to_vec());
        for (k, v) in headers {
            r = r.header(*k, *v);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn channel(&self, key: &str, hmac: Option<&str>) -> Value {
        let mut body = serde_json::json!({"name": "Reception", "waha": {"base_url": "http://waha.local:3000", "api_key": "waha-secret", "session": "default"}});
        if let Some(h) = hmac {
            body["webhook_hmac_key"] = serde_json::json!(h);
        }
        let (s, v) = self
            .call(Method::POST, "/v1/channels", Some(key), Some(body))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    pub async fn drain(&self) -> usize {
        self.running
            .as_ref()
            .unwrap()
            .relay
            .run_until_idle()
            .await
            .unwrap()
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        if let Some((s, db)) = self.pg.take() {
            s.close().await;
            db.drop_database().await.unwrap();
        }
    }
}

/// One test per backend: `both_backends!(name, async_fn)`.
#[macro_export]
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if let Some(app) = $crate::support::TestApp::sqlite().await {
                        super::$case(&app).await;
                        app.stop().await;
                    }
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if let Some(app) = $crate::support::TestApp::postgres().await {
                        super::$case(&app).await;
                        app.stop().await;
                    }
                }
            )*
        }
    };
}
