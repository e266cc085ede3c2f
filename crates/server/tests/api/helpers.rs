//! A Ventros on port 0 over a fresh database (workers off, so tests drive the relay and the
//! job runner), and the requests tests make of it. The database goes with the `TestApp`,
//! also when a test fails.

use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use ventros_app::ports::{ShiftedClock, Store, SystemClock};
use ventros_app::usecases::create_tenant::{CreateTenant, create_tenant};
use ventros_server::config::Config;
use ventros_server::{Roles, Running, Storage, start_on};
use ventros_storage_postgres::{PgStore, TestDatabase, provision_test_database};
use ventros_storage_sqlite::SqliteStore;
use ventros_testkit::TempDir;
use ventros_waha::sample;
use ventros_workers::JobRunner;

/// What a test app's database lives in (the directory and URL of the SQLite file, or the
/// PostgreSQL test database); dropping it removes the database.
enum Backing {
    Sqlite {
        _dir: TempDir,
        url: String,
    },
    Postgres(Box<TestDatabase>),
    /// Another instance's database: it goes with that instance.
    Shared,
}

pub struct TestApp {
    running: Option<Running>,
    pub base: String,
    pub client: Client,
    pub store: Arc<dyn Store>,
    /// The app's clock: real time, moved forward by `advance`.
    clock: Arc<ShiftedClock>,
    /// The local media store's directory.
    pub media: TempDir,
    backing: Backing,
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
        let dir = TempDir::new("ventros-api");
        let url = dir.sqlite_url("api.db");
        let s = SqliteStore::connect(&url).await.unwrap();
        s.migrate().await.unwrap();
        let backing = Backing::Sqlite {
            _dir: dir,
            url: url.clone(),
        };
        Some(Self::boot(s.into(), &url, backing, configure).await)
    }

    /// A PostgreSQL-backed app (through the restricted RLS role), or `None` when no server
    /// is configured.
    pub async fn postgres_with(configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let url = ventros_testkit::postgres_url("API tests")?;
        let db = provision_test_database(&url).await.unwrap();
        let s = PgStore::connect_with(db.app.clone(), 8).await.unwrap();
        s.verify_rls_role().await.unwrap();
        Some(Self::boot(s.into(), "", Backing::Postgres(Box::new(db)), configure).await)
    }

    /// A second Ventros on this app's PostgreSQL database (its own connections, its own
    /// process state), as an operator runs several `ventros serve`.
    pub async fn another_instance(&self, configure: impl FnOnce(&mut Config)) -> TestApp {
        let Backing::Postgres(db) = &self.backing else {
            panic!("a second instance needs PostgreSQL");
        };
        let s = PgStore::connect_with(db.app.clone(), 8).await.unwrap();
        Self::boot(s.into(), "", Backing::Shared, configure).await
    }

    async fn boot(
        storage: Storage,
        url: &str,
        backing: Backing,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let mut cfg = Config::for_database(url, "127.0.0.1:0");
        cfg.webhook_max_bytes = 64 * 1024;
        cfg.jwt_secret = Some("test-signing-secret-of-at-least-32-bytes".into());
        cfg.rate_limit_per_minute = 60_000;
        cfg.rate_limit_burst = 10_000;
        cfg.login_per_minute_per_address = 100_000;
        cfg.login_per_minute = 100_000;
        cfg.waha_timeout_seconds = 2;
        // Webhook receivers in tests listen on loopback over plain HTTP.
        cfg.webhook_allow_http = true;
        cfg.webhook_allow_private = true;
        let media = TempDir::new("ventros-media");
        cfg.media_dir = Some(media.path().to_path_buf());
        configure(&mut cfg);
        let store = storage.store.clone();
        let clock = Arc::new(ShiftedClock::default());
        let running = start_on(
            &cfg,
            storage,
            Roles {
                http: true,
                workers: false,
            },
            clock.clone(),
        )
        .await
        .unwrap();
        TestApp {
            base: running.base_url(),
            running: Some(running),
            client: Client::new(),
            store,
            clock,
            media,
            backing,
        }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().unwrap()
    }

    /// `http://…` of `/metrics`' own listener, when it has one.
    pub fn metrics_base(&self) -> Option<String> {
        self.running().metrics_addr.map(|a| format!("http://{a}"))
    }

    /// The app's clock, for workers a test runs beside it.
    pub fn clock(&self) -> Arc<dyn ventros_app::ports::Clock> {
        self.clock.clone()
    }

    /// Moves the app's time forward (timers fall due; nothing sleeps).
    pub fn advance(&self, by: chrono::Duration) {
        self.clock.advance(by);
    }

    /// The job runner, for tests to run due jobs with.
    pub fn jobs(&self) -> Arc<JobRunner> {
        self.running().jobs.clone()
    }

    /// Every table of the database with a row in which `needle` appears, in any column, read
    /// past row-level security: where a secret could have leaked to.
    pub async fn tables_containing(&self, needle: &str) -> Vec<String> {
        use sqlx::{Connection, Row};
        let mut found = Vec::new();
        match &self.backing {
            Backing::Sqlite { url, .. } => {
                let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                )
                .fetch_all(&mut c)
                .await
                .unwrap();
                for t in tables {
                    let cols: Vec<String> =
                        sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
                            .bind(&t)
                            .fetch_all(&mut c)
                            .await
                            .unwrap();
                    let any = cols
                        .iter()
                        .map(|col| format!("instr(CAST(\"{col}\" AS TEXT), ?1) > 0"))
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    let q = format!("SELECT count(*) FROM \"{t}\" WHERE {any}");
                    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(q))
                        .bind(needle)
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                        .get(0);
                    if n > 0 {
                        found.push(t);
                    }
                }
            }
            Backing::Postgres(db) => {
                // The owner connection is the superuser the database was made with.
                let mut c = sqlx::PgConnection::connect_with(&db.owner).await.unwrap();
                let tables: Vec<String> = sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public'",
                )
                .fetch_all(&mut c)
                .await
                .unwrap();
                for t in tables {
                    // Text forms of every column; bytea is searched as bytes (its text form
                    // is hex).
                    let cols: Vec<(String, String)> = sqlx::query_as(
                        "SELECT column_name::text, data_type::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1",
                    )
                    .bind(&t)
                    .fetch_all(&mut c)
                    .await
                    .unwrap();
                    let any = cols
                        .iter()
                        .map(|(col, ty)| match ty.as_str() {
                            "bytea" => format!("position(convert_to($1, 'UTF8') IN \"{col}\") > 0"),
                            _ => format!("strpos(\"{col}\"::text, $1) > 0"),
                        })
                        .collect::<Vec<_>>()
                        .join(" OR ");
                    let q = format!("SELECT count(*) FROM \"{t}\" WHERE {any}");
                    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(q))
                        .bind(needle)
                        .fetch_one(&mut c)
                        .await
                        .unwrap()
                        .get(0);
                    if n > 0 {
                        found.push(t);
                    }
                }
            }
            Backing::Shared => panic!("search the first instance's database"),
        }
        found
    }

    /// Publishes every committed event (the timeline consumer writes the timeline).
    pub async fn drain(&self) -> usize {
        self.running().relay.run_until_idle().await.unwrap()
    }

    /// Stops the server and its tasks; the database goes when the app is dropped.
    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    pub async fn tenant(&self, name: &str) -> TenantKeys {
        let t = create_tenant(
            self.store.as_ref(),
            &SystemClock,
            CreateTenant {
                name: name.into(),
                admin_email: format!("admin@{name}.example"),
                admin_name: None,
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
        let r = self.send(method, path, key, body, &[]).await;
        (r.status, r.body)
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

    pub async fn get(&self, path: &str, key: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(key), None).await
    }

    pub async fn post(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(key), Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(key), Some(body)).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> StatusCode {
        self.call(Method::DELETE, path, Some(key), None).await.0
    }

    /// A request that must succeed; its body.
    pub async fn ok(&self, m: Method, path: &str, key: &str, body: Option<Value>) -> Value {
        let (s, v) = self.call(m, path, Some(key), body).await;
        assert!(s.is_success(), "{path}: {s} {v}");
        v
    }

    /// The `data` of a list that must succeed.
    pub async fn list(&self, path: &str, key: &str) -> Vec<Value> {
        let (s, v) = self.get(path, key).await;
        assert_eq!(s, StatusCode::OK, "{path}: {v}");
        v["data"].as_array().unwrap().clone()
    }

    /// Logs in and returns the access token.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/auth/login",
                None,
                Some(json!({"email": email, "password": password})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["access_token"].as_str().unwrap().to_string()
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
        let mut body = json!({"name": "Reception", "waha": {"base_url": "http://waha.local:3000", "api_key": "waha-secret", "session": "default"}});
        if let Some(h) = hmac {
            body["webhook_hmac_key"] = json!(h);
        }
        let (s, v) = self.post("/v1/channels", key, body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v
    }

    /// The event types of the tenant's feed, oldest first (after publishing everything).
    pub async fn event_types(&self, key: &str) -> Vec<String> {
        self.drain().await;
        self.list("/v1/events?limit=200", key)
            .await
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_string())
            .collect()
    }
}

/// The stable code of an error body.
/// Uploads a file through `POST /v1/media`: the status and body.
pub async fn upload(
    app: &TestApp,
    key: &str,
    bytes: Vec<u8>,
    mimetype: &str,
    filename: &str,
) -> (StatusCode, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(filename.to_string())
        .mime_str(mimetype)
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let r = app
        .client
        .post(format!("{}/v1/media", app.base))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

pub fn code(v: &Value) -> Option<&str> {
    v["error"]["code"].as_str()
}

/// The first field a 422 names.
pub fn field(v: &Value) -> Option<&str> {
    v["error"]["details"]["fields"][0]["field"].as_str()
}

pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

pub async fn create_user(app: &TestApp, key: &str, email: &str, role: &str) -> Value {
    let (s, v) = app
        .post(
            "/v1/users",
            key,
            json!({"email": email, "password": "agent password 1", "name": "Agent Smith", "role": role}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// A channel with one inbound message from `phone` and one reply from the phone app: the
/// ids of what it created.
pub struct Conversation {
    pub channel: String,
    pub contact: String,
    pub chat: String,
    pub session: String,
    pub inbound: String,
    pub outbound: String,
}

pub async fn conversation(app: &TestApp, key: &str, phone: &str) -> Conversation {
    let ch = app.channel(key, None).await;
    let channel = id(&ch);
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
    let chats = app
        .list(&format!("/v1/chats?channel_id={channel}"), key)
        .await;
    let chat = &chats[0];
    let msgs = app
        .list(
            &format!("/v1/chats/{}/messages", chat["id"].as_str().unwrap()),
            key,
        )
        .await;
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    Conversation {
        channel,
        contact: chat["contact_id"].as_str().unwrap().to_string(),
        chat: id(chat),
        session: msgs[0]["session_id"].as_str().unwrap().to_string(),
        inbound: id(&msgs[0]),
        outbound: id(&msgs[1]),
    }
}

/// One test per backend for each behaviour: `both_backends!(a, b, …)` in a module of
/// `async fn a(app: &TestApp)` makes `module::sqlite::a` and `module::postgres::a`.
#[macro_export]
macro_rules! both_backends {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    if let Some(app) = $crate::helpers::TestApp::sqlite().await {
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
                    if let Some(app) = $crate::helpers::TestApp::postgres().await {
                        super::$case(&app).await;
                        app.stop().await;
                    }
                }
            )*
        }
    };
}
