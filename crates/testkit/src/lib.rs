//! Test helpers shared by every crate's tests: WAHA fixtures and database switches.

use std::path::PathBuf;

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
            eprintln!("{suite}: skipped on PostgreSQL (set VENTROS_TEST_POSTGRES_URL to run it)");
            None
        }
    }
}
