//! Slow and idle clients cannot hold the server: headers must arrive within the header
//! timeout (which also closes idle keep-alive connections), a body within the body timeout,
//! and connections beyond the cap wait to be accepted. Transport behaviour, the same on
//! every backend, so these run on SQLite only.

use crate::helpers::TestApp;
use reqwest::StatusCode;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn app(header_secs: u64, max_connections: u32) -> TestApp {
    TestApp::sqlite_with(|c| {
        c.http_header_timeout_seconds = header_secs;
        c.http_body_timeout_seconds = 1;
        c.http_max_connections = max_connections;
    })
    .await
    .unwrap()
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the server sends until it closes the connection (at most 10 s: a server that
/// never closes fails the test instead of hanging it).
async fn until_closed(s: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => out.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the server kept the connection open");
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_a_header_is_cut_off_after_the_header_timeout() {
    let app = app(1, 16).await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /health HTTP/1.1\r\nHost: ventros\r\nX-Slow: ")
        .await
        .unwrap();
    let got = until_closed(&mut s).await;
    assert!(got.is_empty() || got.starts_with("HTTP/1.1 408"), "{got}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed() {
    let app = app(1, 16).await;
    let mut s = connect(&app).await;
    s.write_all(b"GET /health HTTP/1.1\r\nHost: ventros\r\n\r\n")
        .await
        .unwrap();
    let got = until_closed(&mut s).await;
    assert!(got.starts_with("HTTP/1.1 200"), "answered first: {got}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_slower_than_the_body_timeout_is_408() {
    let app = app(10, 16).await;
    let mut s = connect(&app).await;
    s.write_all(
        b"POST /v1/auth/login HTTP/1.1\r\nHost: ventros\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":",
    )
    .await
    .unwrap();
    let got = until_closed(&mut s).await;
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("request_timeout"), "{got}");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_wait_for_a_free_one() {
    let app = app(60, 2).await;
    // Two clients connect and send nothing: they hold both places.
    let first = connect(&app).await;
    let _second = connect(&app).await;
    let url = format!("{}/health", app.base);
    let mut third = tokio::spawn(async move { reqwest::get(&url).await.map(|r| r.status()) });
    let early = tokio::time::timeout(Duration::from_millis(500), &mut third).await;
    assert!(
        early.is_err(),
        "a third connection was served beyond the cap"
    );
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(10), third)
        .await
        .expect("served once a place was free")
        .unwrap()
        .unwrap();
    assert_eq!(status, StatusCode::OK);
    app.stop().await;
}
