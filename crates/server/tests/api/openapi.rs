//! The OpenAPI spec is generated from the handlers; every spec operation has a route, every
//! route is in the spec, the document is snapshotted so an API change shows in review, and
//! the docs UI is served by Ventros itself.

use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::Value;

fn operations(spec: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                ops.push((method.to_string(), path.clone()));
            }
        }
    }
    ops
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_spec_operation_has_a_route_and_every_route_is_documented() {
    let app = TestApp::sqlite().await.unwrap();
    let (s, spec) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    let ops = operations(&spec);

    // Routes are registered only through `routes!` (which requires the OpenAPI annotation):
    // as many registrations as documented operations, and no plain `.route(` calls.
    let source = include_str!("../../../adapters/http/src/routes/mod.rs");
    assert!(
        !source.contains(".route("),
        "register routes with routes!(…) so they are documented"
    );
    let handlers: usize = source
        .split(".routes(routes!(")
        .skip(1)
        .map(|rest| rest.split("))").next().unwrap().split(',').count())
        .sum();
    assert_eq!(
        handlers,
        ops.len(),
        "a registered route is missing from the spec"
    );

    let fallback = app
        .call(Method::GET, "/definitely/not/here", None, None)
        .await
        .1;
    for (method, path) in &ops {
        let concrete = path
            .split('/')
            .map(|seg| {
                if seg.starts_with('{') {
                    uuid::Uuid::now_v7().to_string()
                } else {
                    seg.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let (status, body) = app
            .call(m, &concrete, None, Some(serde_json::json!({})))
            .await;
        assert_ne!(body, fallback, "{method} {path} has no route");
        assert_ne!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        let documented = spec["paths"][path][method]["responses"]
            .as_object()
            .unwrap();
        assert!(
            documented.contains_key(status.as_str()),
            "{method} {path} answered {status}, which the spec does not document"
        );
        // Protected operations declare the bearer scheme.
        if path.starts_with("/v1/") && path != "/v1/auth/login" {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
            assert!(
                spec["paths"][path][method]["security"].is_array(),
                "{method} {path} lacks security"
            );
        }
    }
    for required in [
        "/webhooks/waha/{channel_id}",
        "/v1/channels",
        "/v1/contacts/{id}/events",
        "/health",
        "/ready",
    ] {
        assert!(spec["paths"].get(required).is_some(), "{required} missing");
    }
    assert!(spec["components"]["schemas"].get("ErrorBody").is_some());
    assert!(
        spec["components"]["securitySchemes"]
            .get("bearer")
            .is_some()
    );
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn docs_ui_is_served_with_its_own_assets() {
    let app = TestApp::sqlite().await.unwrap();
    let page = app
        .client
        .get(format!("{}/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "the page must not load assets from elsewhere: {html}"
    );
    for asset in [
        "swagger-ui.css",
        "swagger-ui-bundle.js",
        "swagger-initializer.js",
    ] {
        let r = app
            .client
            .get(format!("{}/docs/{asset}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{asset}");
        let text = r.text().await.unwrap();
        assert!(text.len() > 100, "{asset} is empty");
        if asset == "swagger-initializer.js" {
            assert!(
                text.contains("/openapi.json"),
                "the UI must load Ventros' own spec: {text}"
            );
        }
    }
    app.stop().await;
}

/// A change to the API (a route, a field, a status, a description) changes this snapshot,
/// so it shows in review; accept it by updating `snapshots/` with the change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_matches_its_snapshot() {
    let app = TestApp::sqlite().await.unwrap();
    let (s, spec) = app.call(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(s, StatusCode::OK);
    insta::assert_json_snapshot!("openapi", spec);
    app.stop().await;
}

/// Swagger shows the summary as plain text: one short line, no Markdown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_has_a_plain_one_line_summary_and_bounded_limits() {
    let app = TestApp::sqlite().await.unwrap();
    let (_, spec) = app.call(Method::GET, "/openapi.json", None, None).await;
    for (method, path) in operations(&spec) {
        let op = &spec["paths"][&path][&method];
        let summary = op["summary"].as_str().unwrap_or_default();
        assert!(
            !summary.is_empty()
                && summary.len() <= 60
                && !summary.contains('`')
                && !summary.contains('\n'),
            "{method} {path}: summary {summary:?}"
        );
        for p in op["parameters"].as_array().into_iter().flatten() {
            if p["name"] == "limit" {
                assert_eq!(
                    (
                        p["schema"]["minimum"].as_i64(),
                        p["schema"]["maximum"].as_i64()
                    ),
                    (Some(1), Some(200)),
                    "{method} {path}: {p}"
                );
            }
        }
    }
    app.stop().await;
}
