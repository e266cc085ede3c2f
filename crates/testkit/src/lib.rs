//! Test helpers shared by every crate's tests: WAHA fixtures and database switches.

pub mod hostile;

use std::io::Write;
use std::path::{Path, PathBuf};

/// A fresh directory under the system's temp dir, removed with everything in it when dropped
/// (also when the test that owns it fails).
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates `<tmp>/<prefix>-<uuid v7>`. Panics (tests only) when it cannot.
    pub fn new(prefix: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A `sqlite://` URL of a database file in this directory, created on first open.
    pub fn sqlite_url(&self, file: &str) -> String {
        format!("sqlite://{}?mode=rwc", self.0.join(file).display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Says on the real standard error (which the test harness does not capture, unlike
/// `eprintln!`) that a suite was skipped, so `cargo test` shows it: once per suite and test
/// binary, however many of its tests skip.
pub fn say_skipped(what: &str, why: &str) {
    static SAID: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut said = SAID
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if !said.iter().any(|s| s == what) {
        said.push(what.to_string());
        let _ = writeln!(std::io::stderr(), "SKIPPED {what}: {why}");
    }
}

/// The folder of real WAHA JSON shipped with the repository.
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("waha")
}

/// The bytes of one fixture file. Panics (tests only) when it is missing.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixtures_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// Names of fixture files starting with `prefix`, sorted.
pub fn fixture_names(prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(fixtures_dir())
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix) && n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// The PostgreSQL URL for tests, or `None` to skip (printing why). With
/// `VENTROS_TEST_REQUIRE_POSTGRES=1` a missing URL fails the test instead.
pub fn postgres_url(suite: &str) -> Option<String> {
    match std::env::var("VENTROS_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("VENTROS_TEST_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "{suite}: VENTROS_TEST_REQUIRE_POSTGRES=1 but VENTROS_TEST_POSTGRES_URL is not set"
                );
            }
            say_skipped(
                &format!("{suite} on PostgreSQL"),
                "set VENTROS_TEST_POSTGRES_URL to run it",
            );
            None
        }
    }
}

/// An outside service a suite needs, from `var`; `None` to skip (printing why, with `hint`).
/// With `require` set to `1`, a missing one fails the test instead.
fn service(var: &str, require: &str, suite: &str, what: &str, hint: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => {
            if std::env::var(require).as_deref() == Ok("1") {
                panic!("{suite}: {require}=1 but {var} is not set");
            }
            say_skipped(&format!("{suite} {what}"), &format!("set {var} {hint}"));
            None
        }
    }
}

/// The S3-compatible server for tests (`VENTROS_TEST_S3_URL`, e.g. `http://127.0.0.1:9000`,
/// any credentials accepted), or `None` to skip (printing why). With
/// `VENTROS_TEST_REQUIRE_S3=1` a missing URL fails the test instead.
pub fn s3_endpoint(suite: &str) -> Option<String> {
    service(
        "VENTROS_TEST_S3_URL",
        "VENTROS_TEST_REQUIRE_S3",
        suite,
        "on S3",
        "to an S3-compatible server to run it",
    )
    .map(|u| u.trim_end_matches('/').to_string())
}

/// A Python interpreter that has the reference `standardwebhooks` library
/// (`VENTROS_TEST_STANDARDWEBHOOKS_PYTHON`), for checking Ventros' signatures with it; with
/// `VENTROS_TEST_REQUIRE_STANDARDWEBHOOKS=1` a missing one fails the test instead.
pub fn standardwebhooks_python(suite: &str) -> Option<String> {
    service(
        "VENTROS_TEST_STANDARDWEBHOOKS_PYTHON",
        "VENTROS_TEST_REQUIRE_STANDARDWEBHOOKS",
        suite,
        "with the reference standardwebhooks library",
        "to a python with `pip install standardwebhooks`",
    )
}

/// The RabbitMQ URL for suites that need a broker (`VENTROS_TEST_AMQP_URL`); with
/// `VENTROS_TEST_REQUIRE_AMQP=1` a missing one fails the test instead.
pub fn amqp_url(suite: &str) -> Option<String> {
    service(
        "VENTROS_TEST_AMQP_URL",
        "VENTROS_TEST_REQUIRE_AMQP",
        suite,
        "on RabbitMQ",
        "(e.g. amqp://guest:guest@127.0.0.1:5672/%2f) to run it",
    )
}

/// The Redis URL for suites that need one (`VENTROS_TEST_REDIS_URL`); with
/// `VENTROS_TEST_REQUIRE_REDIS=1` a missing one fails the test instead.
pub fn redis_url(suite: &str) -> Option<String> {
    service(
        "VENTROS_TEST_REDIS_URL",
        "VENTROS_TEST_REQUIRE_REDIS",
        suite,
        "on Redis",
        "(e.g. redis://127.0.0.1:6379) to run it",
    )
}
