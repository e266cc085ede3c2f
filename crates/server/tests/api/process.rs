//! The real `ventros` binary as a child process: the CLI, and a server whose JSON log lines a
//! test reads (from standard error) and which it stops with SIGTERM.

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

/// `ventros <args>` on the database `url`, logging warnings only.
pub fn ventros(args: &[&str], url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ventros"));
    c.args(args)
        .env("VENTROS_DATABASE_URL", url)
        .env("RUST_LOG", "warn");
    c
}

/// A tenant made with `ventros tenant create`; its JSON (ids and API key).
pub fn tenant(url: &str) -> Value {
    let out = ventros(
        &[
            "tenant",
            "create",
            "--name",
            "Acme",
            "--admin-email",
            "admin@acme.example",
            "--json",
        ],
        url,
    )
    .env("VENTROS_ADMIN_PASSWORD", "long enough")
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `ventros serve` on port 0 with JSON logs at `rust_log`.
pub struct Served {
    child: Child,
    lines: Receiver<Value>,
    /// Lines read so far while waiting for others.
    seen: Vec<Value>,
    pub base: String,
}

impl Served {
    pub fn start(url: &str, rust_log: &str) -> Served {
        let mut child = ventros(&["serve"], url)
            .env("VENTROS_HTTP_ADDR", "127.0.0.1:0")
            .env("VENTROS_LOG_FORMAT", "json")
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, lines) = channel::<Value>();
        let stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str(&line) {
                    let _ = tx.send(v);
                }
            }
        });
        let mut s = Served {
            child,
            lines,
            seen: Vec::new(),
            base: String::new(),
        };
        let listening = s.next(|v| v["fields"]["addr"].is_string());
        s.base = format!("http://{}", listening["fields"]["addr"].as_str().unwrap());
        s
    }

    /// The next log line that matches, waiting up to 20 s.
    pub fn next(&mut self, matches: impl Fn(&Value) -> bool) -> Value {
        loop {
            let v = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .expect("a log line");
            self.seen.push(v.clone());
            if matches(&v) {
                return v;
            }
        }
    }

    /// SIGTERM, then the exit status and every log line the server wrote.
    pub async fn terminate(mut self) -> (ExitStatus, Vec<Value>) {
        let term = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(term.success());
        let mut child = self.child;
        let status = tokio::time::timeout(
            Duration::from_secs(20),
            tokio::task::spawn_blocking(move || child.wait()),
        )
        .await
        .expect("no exit after SIGTERM")
        .unwrap()
        .unwrap();
        // The reader thread ends with the child's standard error.
        self.seen.extend(self.lines.iter());
        (status, self.seen)
    }
}
