//! Liveness, readiness, and a graceful stop.

use std::time::Duration;

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, PASSWORD, assert_problem, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    readiness_follows_the_database,
    in_flight_requests_finish_when_the_server_stops
);

async fn readiness_follows_the_database(backend: Backend) {
    let app = spawn_app(backend).await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await,
        (StatusCode::OK, serde_json::json!({"status": "ok"}))
    );
    assert_eq!(app.call(Method::GET, "/readyz", None, None).await.0, StatusCode::OK);
    match backend {
        Backend::Sqlite => app.state.db.get_sqlite_connection_pool().close().await,
        Backend::Postgres => app.state.db.get_postgres_connection_pool().close().await,
    }
    assert_problem(
        app.request(Method::GET, "/readyz", None, None).await,
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await;
    assert_eq!(
        app.call(Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK,
        "the process is still alive"
    );
    let (status, body) = app.login("ann", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::SERVICE_UNAVAILABLE,
        "a database outage is a 503, not a 500: {body}"
    );
}

async fn in_flight_requests_finish_when_the_server_stops(backend: Backend) {
    // Real argon2 cost makes a registration slow enough to still be running when the stop arrives.
    let mut app = spawn_app_with(
        backend,
        &[
            ("PASSWORD_HASH_MEMORY_KIB", "262144"),
            ("PASSWORD_HASH_ITERATIONS", "4"),
        ],
    )
    .await;
    let url = app.url("/api/v1/auth/register");
    let client = app.client.clone();
    let in_flight = tokio::spawn(async move {
        client
            .post(url)
            .json(&serde_json::json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD}))
            .send()
            .await
    });
    // Long enough for the request to arrive even on a busy machine, far shorter than hashing 256 MiB four times.
    tokio::time::sleep(Duration::from_millis(300)).await;
    app.begin_shutdown();
    let response = in_flight.await.unwrap().expect("the in-flight request got its answer");
    assert_eq!(response.status(), StatusCode::CREATED);
    let server = app.server.take().unwrap();
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stopped")
        .unwrap()
        .unwrap();
    assert!(
        app.client.get(app.url("/healthz")).send().await.is_err(),
        "no longer accepting connections"
    );
}
