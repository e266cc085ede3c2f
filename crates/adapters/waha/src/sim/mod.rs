//! A WAHA simulator: the REST calls Ventros makes, answered the way a chosen engine answers,
//! and WAHA's side effects: the `message.any` echo and acks of what was sent, posted to the
//! session's webhooks (signed when the session has an HMAC key), inbound messages on demand,
//! media files that vanish after their lifetime, and failures on request. For tests, and for
//! trying Ventros without a phone (`ventros waha-sim`).
//!
//! Control calls live under `/sim/` (see `control.rs`); everything under `/api/` needs the
//! configured `X-Api-Key`, like WAHA.

mod control;
mod files;
mod hooks;
mod send;
mod sessions;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Which engine's answers the simulator gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Noweb,
    Gows,
    Webjs,
}

impl Engine {
    pub fn parse(s: &str) -> Option<Engine> {
        match s.to_ascii_uppercase().as_str() {
            "NOWEB" => Some(Engine::Noweb),
            "GOWS" => Some(Engine::Gows),
            "WEBJS" => Some(Engine::Webjs),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Engine::Noweb => "NOWEB",
            Engine::Gows => "GOWS",
            Engine::Webjs => "WEBJS",
        }
    }

    /// Whether the engine can send with a reserved id.
    pub fn reserves_ids(self) -> bool {
        !matches!(self, Engine::Webjs)
    }
}

/// When the echo of a sent message is posted, relative to the send's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EchoTiming {
    /// Answer first, then post the echo (WAHA's usual order).
    After,
    /// Post the echo and wait for the webhook's answer before answering the send.
    Before,
    /// No echo at all (a lost webhook).
    Never,
}

/// What the next send call does instead of succeeding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 422: the session is not working.
    Refuse,
    /// 500, nothing sent.
    ServerError,
    /// The message is sent (echo included), but the answer only comes after `slow_answer`.
    TimeoutAfterSend,
    /// Nothing is sent and the answer only comes after `slow_answer`.
    TimeoutBeforeSend,
    /// The send is answered as accepted, but the message never reaches WhatsApp: no echo,
    /// no acks, and looking it up finds nothing.
    Lost,
}

#[derive(Debug, Clone)]
pub struct SimConfig {
    pub api_key: String,
    pub engine: Engine,
    /// The session created at start (status `WORKING`).
    pub session: String,
    /// The account's own number, digits only.
    pub me: String,
    /// Webhook URLs the start session posts to (all events).
    pub webhooks: Vec<String>,
    /// The HMAC key of those webhooks, if any.
    pub hmac_key: Option<String>,
    /// How long media files stay downloadable (WAHA's `WHATSAPP_FILES_LIFETIME`, 180 s).
    pub files_lifetime: Duration,
    /// How long a "timeout" fault holds the answer back.
    pub slow_answer: Duration,
    /// The address the simulator is reached at, for the media URLs it hands out.
    pub public_url: String,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            api_key: "waha-key".into(),
            engine: Engine::Noweb,
            session: "default".into(),
            me: "15550000000".into(),
            webhooks: Vec::new(),
            hmac_key: None,
            files_lifetime: Duration::from_secs(180),
            slow_answer: Duration::from_secs(35),
            public_url: "http://127.0.0.1:3000".into(),
        }
    }
}

/// A running simulator; dropping it stops the server.
pub struct Served {
    pub sim: Arc<Simulator>,
    pub addr: std::net::SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A message the simulator sent to WhatsApp.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Sent {
    pub id: String,
    pub session: String,
    pub chat_id: String,
    /// The send endpoint, e.g. `sendText`.
    pub kind: String,
    /// The request body as received (minus `session`).
    pub request: Value,
    pub timestamp: i64,
    pub ack: i64,
    pub deleted: bool,
}

/// A call that acts on a chat or a sent message (react, edit, delete, seen, presence).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Action {
    /// `reaction`, `edit`, `delete`, `seen` or `presence`.
    pub kind: String,
    /// The message or chat acted on.
    pub target: String,
    /// The request body (`null` for a delete).
    pub request: Value,
}

#[derive(Debug, Clone)]
struct Session {
    status: String,
    config: Value,
}

struct State {
    sessions: HashMap<String, Session>,
    sent: Vec<Sent>,
    actions: Vec<Action>,
    reserved: HashSet<String>,
    faults: VecDeque<Fault>,
    echo: EchoTiming,
    /// Phones (digits) that are not on WhatsApp.
    absent: HashSet<String>,
    /// Profile picture URL per contact id; `None` = no picture.
    pictures: HashMap<String, Option<String>>,
    lids: HashMap<String, String>,
    files: files::Files,
    counter: u64,
}

/// The simulator: shared state behind a router.
pub struct Simulator {
    cfg: SimConfig,
    state: Mutex<State>,
    http: reqwest::Client,
}

impl Simulator {
    pub fn new(cfg: SimConfig) -> Arc<Simulator> {
        let mut sessions = HashMap::new();
        let webhooks: Vec<Value> = cfg
            .webhooks
            .iter()
            .map(|u| json!({"url": u, "events": ["*"], "hmac": cfg.hmac_key.as_ref().map(|k| json!({"key": k}))}))
            .collect();
        sessions.insert(
            cfg.session.clone(),
            Session {
                status: "WORKING".into(),
                config: json!({"webhooks": webhooks}),
            },
        );
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Arc::new(Simulator {
            state: Mutex::new(State {
                sessions,
                sent: Vec::new(),
                actions: Vec::new(),
                reserved: HashSet::new(),
                faults: VecDeque::new(),
                echo: EchoTiming::After,
                absent: HashSet::new(),
                pictures: HashMap::new(),
                lids: HashMap::new(),
                files: files::Files::new(cfg.files_lifetime),
                counter: 0,
            }),
            cfg,
            http,
        })
    }

    /// The WAHA API and the control API.
    pub fn router(self: &Arc<Self>) -> Router {
        let api = Router::new()
            .merge(send::routes())
            .merge(sessions::routes())
            .merge(files::routes())
            .layer(axum::middleware::from_fn_with_state(self.clone(), api_key));
        api.merge(control::routes()).with_state(self.clone())
    }

    /// Serves the simulator on `addr` (`127.0.0.1:0` for a free port); the media URLs it
    /// hands out name the bound address unless `cfg.public_url` was changed from the default.
    pub async fn spawn(mut cfg: SimConfig, addr: &str) -> std::io::Result<Served> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let local = listener.local_addr()?;
        if cfg.public_url == SimConfig::default().public_url {
            cfg.public_url = format!("http://{local}");
        }
        let sim = Simulator::new(cfg);
        let app = sim.router();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Served {
            sim,
            addr: local,
            task,
        })
    }

    /// Everything sent so far, oldest first.
    pub fn sent(&self) -> Vec<Sent> {
        self.lock().sent.clone()
    }

    /// Every reaction, edit, delete, seen and presence call so far, oldest first.
    pub fn actions(&self) -> Vec<Action> {
        self.lock().actions.clone()
    }

    fn act(&self, kind: &str, target: &str, request: Value) {
        self.lock().actions.push(Action {
            kind: kind.into(),
            target: target.into(),
            request,
        });
    }

    /// The next send calls fail like this, in order.
    pub fn fail_next(&self, faults: &[Fault]) {
        self.lock().faults.extend(faults.iter().copied());
    }

    pub fn set_echo(&self, echo: EchoTiming) {
        self.lock().echo = echo;
    }

    pub fn config(&self) -> &SimConfig {
        &self.cfg
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A fresh raw message id, uppercase hex like WhatsApp's.
    fn new_raw_id(&self) -> String {
        let mut s = self.lock();
        s.counter += 1;
        format!(
            "3EB0{:016X}{:04X}",
            rand::random::<u64>(),
            s.counter & 0xFFFF
        )
    }

    fn me_jid(&self) -> String {
        format!("{}@c.us", self.cfg.me)
    }
}

fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}

/// WAHA's 401.
async fn api_key(
    axum::extract::State(sim): axum::extract::State<Arc<Simulator>>,
    req: Request,
    next: Next,
) -> Response {
    let given = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            req.uri().query().and_then(|q| {
                url_pairs(q)
                    .into_iter()
                    .find(|(k, _)| k == "x-api-key")
                    .map(|(_, v)| v)
            })
        });
    if given.as_deref() != Some(sim.cfg.api_key.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "Unauthorized", "statusCode": 401})),
        )
            .into_response();
    }
    next.run(req).await
}

fn url_pairs(q: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://x/?{q}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// WAHA's 422 for a session that is missing or not `WORKING`.
fn session_problem(sim: &Simulator, session: &str) -> Option<Response> {
    let status = sim.lock().sessions.get(session).map(|s| s.status.clone());
    let body = match status.as_deref() {
        None => {
            json!({"error": format!("Session \"{session}\" does not exist"), "session": session})
        }
        Some("WORKING") => return None,
        Some(st) => {
            json!({"error": "Session status is not as expected. Try again later or restart the session", "session": session, "status": st, "expected": ["WORKING"]})
        }
    };
    Some((StatusCode::UNPROCESSABLE_ENTITY, axum::Json(body)).into_response())
}

fn not_found(message: &str) -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({"statusCode": 404, "message": message, "error": "Not Found"})),
    )
        .into_response()
}
