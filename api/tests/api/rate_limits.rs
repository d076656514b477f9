//! Per-address limits on the auth endpoints, and the per-account failed-login limit shared across processes.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, assert_problem, spawn_app_on, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    login_register_and_refresh_are_limited_per_address_with_retry_after,
    failed_logins_lock_an_account_across_processes_and_unknown_names_alike,
);

async fn login_register_and_refresh_are_limited_per_address_with_retry_after(backend: Backend) {
    let app = spawn_app_with(backend, &[("AUTH_RATE_LIMIT_PER_MINUTE", "3")]).await;
    for _ in 0..3 {
        app.login("nobody", "whatever password").await;
    }
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "x", "password": "y"})),
        )
        .await;
    assert_eq!(response.headers()["retry-after"], "60");
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;

    for _ in 0..3 {
        app.refresh("unknown").await;
    }
    assert_eq!(app.refresh("unknown").await.0, StatusCode::TOO_MANY_REQUESTS);
    for i in 0..3 {
        app.register(&format!("user{i}")).await;
    }
    let body = json!({"username": "user9", "email": "user9@example.com", "password": PASSWORD});
    let response = app
        .request(Method::POST, "/api/v1/auth/register", None, Some(body))
        .await;
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;

    app.clock.advance(Duration::seconds(60));
    assert_eq!(
        app.login("user0", PASSWORD).await.0,
        StatusCode::OK,
        "the window has passed"
    );
}

async fn failed_logins_lock_an_account_across_processes_and_unknown_names_alike(backend: Backend) {
    let settings = [("LOGIN_FAILURES_PER_ACCOUNT", "3")];
    let first = spawn_app_with(backend, &settings).await;
    let second = spawn_app_on(backend, first.database.clone(), &settings, first.clock.clone()).await;
    first.register("ann").await;
    for _ in 0..2 {
        assert_eq!(first.login("ann", "wrong password").await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(
        second.login("ann@example.com", "wrong password").await.0,
        StatusCode::UNAUTHORIZED
    );
    let response = second
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann", "password": PASSWORD})),
        )
        .await;
    let retry_after: i64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry_after));
    assert_problem(response, StatusCode::TOO_MANY_REQUESTS).await;
    assert_eq!(
        first.login("ann", PASSWORD).await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "the other process agrees"
    );

    for _ in 0..3 {
        first.login("ghost", "wrong password").await;
    }
    assert_eq!(
        first.login("ghost", "wrong password").await.0,
        StatusCode::TOO_MANY_REQUESTS,
        "unknown names behave the same"
    );

    first.clock.advance(Duration::minutes(15));
    assert_eq!(
        second.login("ann", PASSWORD).await.0,
        StatusCode::OK,
        "the lock lifts after the window"
    );
}
