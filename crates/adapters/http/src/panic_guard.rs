//! A panic in a handler still answers: 500 with the error envelope (instead of a dropped
//! connection), logged and counted in `ventros_http_panics_total`.

use crate::error::ApiError;
use axum::response::{IntoResponse, Response};
use std::any::Any;
use tower_http::catch_panic::CatchPanicLayer;
use ventros_app::AppError;

pub const HTTP_PANICS: &str = "ventros_http_panics_total";

/// The layer that turns a handler's panic into a 500.
pub fn layer() -> CatchPanicLayer<fn(Box<dyn Any + Send + 'static>) -> Response> {
    CatchPanicLayer::custom(answer as fn(Box<dyn Any + Send + 'static>) -> Response)
}

fn answer(panic: Box<dyn Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("a panic without a message");
    metrics::counter!(HTTP_PANICS).increment(1);
    ApiError::from(AppError::internal(format!(
        "handler panicked: {}",
        what.chars().take(200).collect::<String>()
    )))
    .into_response()
}

#[cfg(test)]
mod tests {
    #![expect(
        clippy::unwrap_used,
        reason = "a test fails loudly on what it did not expect"
    )]
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn boom() -> &'static str {
        let parts: Vec<&str> = "no-separator".split(':').collect();
        parts[1]
    }

    #[test]
    fn a_panicking_handler_answers_500_with_the_envelope_and_is_counted() {
        let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        let (status, body) = metrics::with_local_recorder(&recorder, || {
            tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(async {
                    let app = Router::new().route("/boom", get(boom)).layer(layer());
                    let resp = app
                        .oneshot(Request::get("/boom").body(Body::empty()).unwrap())
                        .await
                        .unwrap();
                    let status = resp.status();
                    let body = resp.into_body().collect().await.unwrap().to_bytes();
                    (status, body)
                })
        });
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["error"]["code"], "internal");
        assert!(
            handle.render().contains("ventros_http_panics_total 1"),
            "{}",
            handle.render()
        );
    }
}
