//! Refresh-token rotation, reuse detection, the grace period, expiry, the cookie and logout.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, PUBLIC_BASE_URL, TestApp, assert_problem, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    a_refresh_returns_a_new_pair_and_the_old_token_is_single_use,
    reusing_a_rotated_token_after_the_grace_period_ends_the_whole_session,
    retrying_the_parent_within_the_grace_period_returns_the_same_child,
    concurrent_refreshes_of_one_token_never_fail_and_leave_one_live_child,
    a_session_ends_after_14_days_unused,
    a_session_ends_30_days_after_login_however_often_it_is_refreshed,
    the_refresh_cookie_works_from_the_apps_origin_and_is_refused_from_foreign_ones,
    logout_ends_the_session_and_clears_the_cookie,
);

async fn a_refresh_returns_a_new_pair_and_the_old_token_is_single_use(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    let (status, body) = app.refresh(&session.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let child = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(child, session.refresh_token);
    assert_eq!(body["token_type"], "Bearer");
    let (status, _) = app
        .call(Method::GET, "/api/v1/me", body["access_token"].as_str(), None)
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = app.refresh(&child).await;
    assert_eq!(status, StatusCode::OK, "the child is live: {body}");
    let (status, _) = app.refresh("not-a-token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn reusing_a_rotated_token_after_the_grace_period_ends_the_whole_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    let other_device = app.logged_in("ann").await;
    let (_, body) = app.refresh(&session.refresh_token).await;
    let child = body["refresh_token"].as_str().unwrap().to_owned();

    app.clock.advance(Duration::seconds(11));
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": session.refresh_token})),
        )
        .await;
    let problem = assert_problem(response, StatusCode::UNAUTHORIZED).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("already used"),
        "{problem}"
    );
    let (status, _) = app.refresh(&child).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the live child dies with its family");
    let (status, _) = app.refresh(&other_device.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "other sessions are not affected");
}

async fn retrying_the_parent_within_the_grace_period_returns_the_same_child(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    let (_, first) = app.refresh(&session.refresh_token).await;
    app.clock.advance(Duration::seconds(9));
    let (status, retry) = app.refresh(&session.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "{retry}");
    assert_eq!(retry["refresh_token"], first["refresh_token"], "no second live child");
    let (status, _) = app.refresh(first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    // Once the child has been used, the grandparent is plain reuse.
    let (status, _) = app.refresh(&session.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn concurrent_refreshes_of_one_token_never_fail_and_leave_one_live_child(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    let results = futures::future::join_all((0..20).map(|_| app.refresh(&session.refresh_token))).await;
    let mut children = std::collections::HashSet::new();
    for (status, body) in &results {
        assert_eq!(*status, StatusCode::OK, "{body}");
        children.insert(body["refresh_token"].as_str().unwrap().to_owned());
    }
    assert_eq!(children.len(), 1, "every response carries the same child");
    let child = children.into_iter().next().unwrap();
    let (status, _) = app.refresh(&child).await;
    assert_eq!(status, StatusCode::OK);
    let live: Vec<_> = live_tokens(&app).await;
    assert_eq!(live.len(), 1, "exactly one live token in the family");
}

async fn live_tokens(app: &TestApp) -> Vec<api::entity::refresh_token::Model> {
    use sea_orm::{ColumnTrait as _, EntityTrait as _, QueryFilter as _};
    api::entity::refresh_token::Entity::find()
        .filter(api::entity::refresh_token::Column::RotatedAt.is_null())
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn a_session_ends_after_14_days_unused(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    app.clock.advance(Duration::days(13));
    let (status, body) = app.refresh(&session.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "13 idle days are fine");
    app.clock.advance(Duration::days(14));
    let (status, body) = app.refresh(body["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("session has ended"));
}

async fn a_session_ends_30_days_after_login_however_often_it_is_refreshed(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    let mut token = session.refresh_token;
    for _ in 0..29 {
        app.clock.advance(Duration::days(1));
        let (status, body) = app.refresh(&token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        token = body["refresh_token"].as_str().unwrap().to_owned();
    }
    app.clock.advance(Duration::days(1));
    let (status, _) = app.refresh(&token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

fn cookie_refresh(app: &TestApp, path: &str, token: &str, origin: Option<&str>) -> reqwest::RequestBuilder {
    let mut request = app
        .client
        .post(app.url(path))
        .header("cookie", format!("planner_refresh={token}"));
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    request
}

async fn the_refresh_cookie_works_from_the_apps_origin_and_is_refused_from_foreign_ones(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    for origin in ["https://evil.example", "null", "http://planner.test.evil.example"] {
        let response = cookie_refresh(&app, "/api/v1/auth/refresh", &session.refresh_token, Some(origin))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN).await;
        let response = cookie_refresh(&app, "/api/v1/auth/logout", &session.refresh_token, Some(origin))
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::FORBIDDEN).await;
    }
    let response = cookie_refresh(&app, "/api/v1/auth/refresh", &session.refresh_token, None)
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::FORBIDDEN).await;

    let response = cookie_refresh(
        &app,
        "/api/v1/auth/refresh",
        &session.refresh_token,
        Some(PUBLIC_BASE_URL),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the refused attempts did not spend the token"
    );
    let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(cookie.starts_with(&format!("planner_refresh={};", body["refresh_token"].as_str().unwrap())));

    let trusting = crate::helpers::spawn_app_with(backend, &[("CORS_ALLOWED_ORIGINS", "https://app.example")]).await;
    let session = trusting.signed_up("bob").await;
    let response = cookie_refresh(
        &trusting,
        "/api/v1/auth/refresh",
        &session.refresh_token,
        Some("https://app.example"),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a configured origin may use the cookie"
    );
}

async fn logout_ends_the_session_and_clears_the_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    let session = app.signed_up("ann").await;
    let response = cookie_refresh(
        &app,
        "/api/v1/auth/logout",
        &session.refresh_token,
        Some(PUBLIC_BASE_URL),
    )
    .send()
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("planner_refresh=;") && cookie.contains("Max-Age=0"),
        "{cookie}"
    );
    let (status, _) = app.refresh(&session.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let second = app.logged_in("ann").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/logout",
            None,
            Some(json!({"refresh_token": second.refresh_token})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.refresh(&second.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let response = app.client.post(app.url("/api/v1/auth/logout")).send().await.unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST).await;
}
