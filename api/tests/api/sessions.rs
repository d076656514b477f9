//! Listing and ending sessions.

use reqwest::{Method, StatusCode};

use crate::helpers::{Backend, assert_problem, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    the_session_list_shows_each_login_and_marks_the_current_one,
    ending_a_session_stops_its_refresh_token,
    ending_another_users_session_returns_404,
    ending_all_other_sessions_keeps_the_current_one,
);

async fn the_session_list_shows_each_login_and_marks_the_current_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.signed_up("ann").await;
    let laptop = app.logged_in("ann").await;
    let (status, body) = app
        .call(Method::GET, "/api/v1/auth/sessions", Some(&laptop.access_token), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{body}");
    let current: Vec<_> = items.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["ip"], "127.0.0.1");
    for item in items {
        for field in ["id", "created_at", "last_used_at", "user_agent", "ip", "current"] {
            assert!(item.get(field).is_some(), "{field} missing in {item}");
        }
    }
    let (_, from_phone) = app
        .call(Method::GET, "/api/v1/auth/sessions", Some(&phone.access_token), None)
        .await;
    assert_ne!(
        from_phone["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["current"] == true)
            .unwrap()["id"],
        current[0]["id"]
    );
}

async fn ending_a_session_stops_its_refresh_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let phone = app.signed_up("ann").await;
    let laptop = app.logged_in("ann").await;
    let (_, body) = app
        .call(Method::GET, "/api/v1/auth/sessions", Some(&laptop.access_token), None)
        .await;
    let phone_id = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/v1/auth/sessions/{phone_id}"),
            Some(&laptop.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app.refresh(&phone.refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = app.refresh(&laptop.refresh_token).await;
    assert_eq!(status, StatusCode::OK);
    let (_, body) = app
        .call(Method::GET, "/api/v1/auth/sessions", Some(&laptop.access_token), None)
        .await;
    assert_eq!(body["items"].as_array().unwrap().len(), 1);
    let response = app
        .request(
            Method::DELETE,
            &format!("/api/v1/auth/sessions/{phone_id}"),
            Some(&laptop.access_token),
            None,
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
}

async fn ending_another_users_session_returns_404(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let mallory = app.signed_up("mallory").await;
    let (_, body) = app
        .call(Method::GET, "/api/v1/auth/sessions", Some(&ann.access_token), None)
        .await;
    let ann_session = body["items"][0]["id"].as_i64().unwrap();
    let response = app
        .request(
            Method::DELETE,
            &format!("/api/v1/auth/sessions/{ann_session}"),
            Some(&mallory.access_token),
            None,
        )
        .await;
    assert_problem(response, StatusCode::NOT_FOUND).await;
    let (status, _) = app.refresh(&ann.refresh_token).await;
    assert_eq!(status, StatusCode::OK, "ann's session is untouched");
}

async fn ending_all_other_sessions_keeps_the_current_one(backend: Backend) {
    let app = spawn_app(backend).await;
    let first = app.signed_up("ann").await;
    let second = app.logged_in("ann").await;
    let current = app.logged_in("ann").await;
    let bob = app.signed_up("bob").await;
    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/auth/sessions",
            Some(&current.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for token in [&first.refresh_token, &second.refresh_token] {
        assert_eq!(app.refresh(token).await.0, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.refresh(&current.refresh_token).await.0, StatusCode::OK);
    assert_eq!(
        app.refresh(&bob.refresh_token).await.0,
        StatusCode::OK,
        "other users keep their sessions"
    );
}
