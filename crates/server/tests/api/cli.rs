//! The `ventros` command itself: creating a tenant, and refusing what it cannot do with a
//! sentence that says why.

use serde_json::Value;
use std::process::{Command, Output};
use ventros_testkit::TempDir;

fn ventros(args: &[&str], database_url: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ventros"))
        .args(args)
        .env("VENTROS_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

fn tenant_create(dir: &TempDir, password: &str) -> Output {
    ventros(
        &[
            "tenant",
            "create",
            "--name",
            "Acme",
            "--admin-email",
            "admin@acme.example",
            "--admin-password",
            password,
            "--json",
        ],
        &dir.sqlite_url("cli.db"),
    )
}

#[test]
fn tenant_create_prints_the_new_tenant_as_json() {
    let dir = TempDir::new("ventros-cli");
    let out = tenant_create(&dir, "long enough");
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
}

#[test]
fn a_short_password_fails_with_a_reason() {
    let dir = TempDir::new("ventros-cli");
    let bad = tenant_create(&dir, "short");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("password"));
}

#[test]
fn an_unknown_database_scheme_says_what_to_use() {
    let scheme = ventros(&["migrate"], "mysql://x");
    assert!(!scheme.status.success());
    assert!(String::from_utf8_lossy(&scheme.stderr).contains("sqlite://"));
}
