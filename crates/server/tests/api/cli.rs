//! The `ventros` command itself: creating a tenant, and refusing what it cannot do with a
//! sentence that says why.

use serde_json::Value;
use std::process::{Command, Output};
use ventros_testkit::TempDir;

fn ventros(args: &[&str], database_url: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ventros"));
    c.args(args)
        .env("VENTROS_DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    c
}

fn tenant_create(dir: &TempDir, email: &str, password: &str) -> Output {
    ventros(
        &[
            "tenant",
            "create",
            "--name",
            "Acme",
            "--admin-email",
            email,
            "--admin-name",
            "Ana Admin",
            "--json",
        ],
        &dir.sqlite_url("cli.db"),
    )
    .env("VENTROS_ADMIN_PASSWORD", password)
    .output()
    .unwrap()
}

fn json_of(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn tenant_create_prints_the_new_tenant_as_json() {
    let dir = TempDir::new("ventros-cli");
    let v = json_of(&tenant_create(&dir, "admin@acme.example", "long enough"));
    for k in ["tenant_id", "project_id", "user_id", "api_key"] {
        assert!(v[k].is_string(), "{k} missing: {v}");
    }
    assert!(v["api_key"].as_str().unwrap().starts_with("vtr_"));
}

#[test]
fn a_short_password_fails_with_a_reason() {
    let dir = TempDir::new("ventros-cli");
    let bad = tenant_create(&dir, "admin@acme.example", "short");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("password"));
}

#[test]
fn an_unknown_database_scheme_says_what_to_use() {
    let scheme = ventros(&["migrate"], "mysql://x").output().unwrap();
    assert!(!scheme.status.success());
    assert!(String::from_utf8_lossy(&scheme.stderr).contains("sqlite://"));
}

#[test]
fn a_taken_admin_email_says_email_taken() {
    let dir = TempDir::new("ventros-cli");
    json_of(&tenant_create(&dir, "admin@acme.example", "long enough"));
    let again = tenant_create(&dir, "admin@acme.example", "long enough");
    assert!(!again.status.success());
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("email"), "{err}");
    assert!(!err.contains("unique key"), "{err}");
}

/// Without the variable, the password is one line of standard input (a terminal is asked).
#[test]
fn the_admin_password_can_come_from_standard_input() {
    use std::io::Write;
    let dir = TempDir::new("ventros-cli");
    let mut child = ventros(
        &[
            "tenant",
            "create",
            "--name",
            "Acme",
            "--admin-email",
            "admin@acme.example",
            "--json",
        ],
        &dir.sqlite_url("cli.db"),
    )
    .env_remove("VENTROS_ADMIN_PASSWORD")
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped in password\n")
        .unwrap();
    let v = json_of(&child.wait_with_output().unwrap());
    assert!(v["api_key"].as_str().unwrap().starts_with("vtr_"));
}

/// A lost admin key is replaced from the server side with the database, not with a key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_key_create_makes_a_working_key_for_a_tenant() {
    let dir = TempDir::new("ventros-cli");
    let t = json_of(&tenant_create(&dir, "admin@acme.example", "long enough"));
    let tenant = t["tenant_id"].as_str().unwrap();
    let k = json_of(
        &ventros(
            &[
                "api-key", "create", "--tenant", tenant, "--role", "admin", "--name", "lost it",
                "--json",
            ],
            &dir.sqlite_url("cli.db"),
        )
        .output()
        .unwrap(),
    );
    assert_eq!(
        k["project_id"], t["project_id"],
        "the tenant's first project"
    );
    assert_eq!(k["role"], "admin");
    let key = k["api_key"].as_str().unwrap();
    assert!(key.starts_with("vtr_") && key.starts_with(k["prefix"].as_str().unwrap()));
    // The key works against a server on the same database.
    let storage: ventros_server::Storage =
        ventros_storage_sqlite::SqliteStore::connect(&dir.sqlite_url("cli.db"))
            .await
            .unwrap()
            .into();
    let store = storage.store.clone();
    let p = store
        .find_api_key(&ventros_app::secrets::hash_api_key(key))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p.role.as_str(), "admin");
    assert_eq!(p.scope.tenant_id.to_string(), tenant);
    let unknown = ventros(
        &[
            "api-key",
            "create",
            "--tenant",
            &uuid::Uuid::now_v7().to_string(),
            "--role",
            "agent",
        ],
        &dir.sqlite_url("cli.db"),
    )
    .output()
    .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("not found"));
}
