//! Every error has the problem+json shape: malformed JSON, wrong content type, unknown route, wrong method, too large.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, assert_problem, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    protocol_errors_are_problem_documents,
    every_response_carries_the_security_headers,
    cors_answers_only_configured_origins,
);

async fn protocol_errors_are_problem_documents(backend: Backend) {
    let app = spawn_app(backend).await;
    let register = app.url("/api/v1/auth/register");

    let response = app
        .client
        .post(&register)
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    let response = app
        .client
        .post(&register)
        .header("content-type", "application/json")
        .body(vec![0xff, 0xfe, b'{'])
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST).await;
    let deep = "[".repeat(5000) + &"]".repeat(5000);
    let response = app
        .client
        .post(&register)
        .header("content-type", "application/json")
        .body(deep)
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;

    let response = app
        .client
        .post(&register)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;
    let response = app.client.post(&register).body("{}").send().await.unwrap();
    assert_problem(response, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    assert_problem(
        app.request(Method::GET, "/api/v1/no-such-thing", None, None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
    let response = app.request(Method::DELETE, "/api/v1/auth/login", None, None).await;
    assert!(response.headers().contains_key("allow"));
    assert_problem(response, StatusCode::METHOD_NOT_ALLOWED).await;

    let huge = json!({"username": "ann", "email": "ann@example.com", "password": "x".repeat(1024 * 1024)});
    assert_problem(
        app.request(Method::POST, "/api/v1/auth/register", None, Some(huge))
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    // Without a Content-Length, the limit holds while the body streams in: the server stops reading after 1 MiB and
    // answers 413. It then closes the connection with the rest unread, and the kernel may reset it before the client
    // has read the answer, so a reset connection is the other way of hearing the same "no".
    let body = json!({"username": "ann", "email": "ann@example.com", "password": "x".repeat(2 * 1024 * 1024)})
        .to_string()
        .into_bytes();
    let chunks = futures::stream::iter(
        body.chunks(64 * 1024)
            .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
            .collect::<Vec<_>>(),
    );
    // A client of its own: the connection the server cuts off must not go back to the pool the next requests use.
    let result = reqwest::Client::new()
        .post(&register)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    match result {
        Ok(response) => {
            assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE).await;
        }
        Err(error) => assert!(error.is_request(), "the server cut the upload off: {error:?}"),
    }
    let (status, _) = app.login("ann", "whatever password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "nothing was registered along the way");
}

async fn every_response_carries_the_security_headers(backend: Backend) {
    let app = spawn_app(backend).await;
    for path in ["/healthz", "/api/v1/me", "/nope", "/api/openapi.json"] {
        let response = app.request(Method::GET, path, None, None).await;
        let headers = response.headers();
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(headers["content-security-policy"], "frame-ancestors 'none'", "{path}");
        assert!(headers.contains_key("x-request-id"), "{path}");
    }
}

async fn cors_answers_only_configured_origins(backend: Backend) {
    let app = spawn_app_with(
        backend,
        &[("CORS_ALLOWED_ORIGINS", "https://app.example, https://other.example")],
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(Method::OPTIONS, app.url("/api/v1/auth/refresh"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
            .send()
    };
    let allowed = preflight("https://app.example").await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://app.example");
    assert_eq!(allowed.headers()["access-control-allow-credentials"], "true");
    for origin in ["https://evil.example", "null"] {
        let refused = preflight(origin).await.unwrap();
        assert!(
            !refused.headers().contains_key("access-control-allow-origin"),
            "{origin}"
        );
    }
    let closed = spawn_app(backend).await;
    let response = closed
        .client
        .request(Method::OPTIONS, closed.url("/api/v1/auth/login"))
        .header("origin", "https://app.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        !response.headers().contains_key("access-control-allow-origin"),
        "no origins configured, no CORS"
    );
}
