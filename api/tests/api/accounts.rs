//! Registration and login.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, assert_problem, invalid_fields, spawn_app, spawn_app_with};
use crate::on_both_databases;

on_both_databases!(
    registering_returns_201_with_the_user,
    duplicate_username_or_email_in_any_case_returns_409_naming_the_field,
    each_invalid_registration_field_is_named_in_a_422,
    registration_refuses_fields_a_client_may_not_set,
    login_by_username_or_email_returns_an_oauth_token_response_and_the_refresh_cookie,
    unknown_user_and_wrong_password_get_the_same_401,
);

async fn registering_returns_201_with_the_user(backend: Backend) {
    let app = spawn_app(backend).await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({"username": "Ann.Lee", "email": "Ann@Example.com", "password": PASSWORD, "timezone": "Europe/Berlin", "region": "de"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(body["id"].as_i64().is_some());
    assert_eq!(body["username"], "Ann.Lee");
    assert_eq!(body["email"], "Ann@Example.com");
    assert_eq!(body["display_name"], "Ann.Lee");
    assert_eq!(body["timezone"], "Europe/Berlin");
    assert_eq!(body["region"], "DE");
    assert_eq!(body["created_at"], "2026-12-04T12:00:00Z");
    assert!(body.get("password_hash").is_none() && body.get("password").is_none());

    let defaults = app.register("bob").await;
    assert_eq!(defaults["timezone"], "UTC");
    assert_eq!(defaults["region"], "US");
}

async fn duplicate_username_or_email_in_any_case_returns_409_naming_the_field(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("ann").await;
    let same_name = json!({"username": "ANN", "email": "other@example.com", "password": PASSWORD});
    let response = app
        .request(Method::POST, "/api/v1/auth/register", None, Some(same_name))
        .await;
    let problem = assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(invalid_fields(&problem), ["username"]);

    let same_email = json!({"username": "ann2", "email": "ANN@example.COM", "password": PASSWORD});
    let response = app
        .request(Method::POST, "/api/v1/auth/register", None, Some(same_email))
        .await;
    let problem = assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(invalid_fields(&problem), ["email"]);
}

async fn each_invalid_registration_field_is_named_in_a_422(backend: Backend) {
    let app = spawn_app(backend).await;
    let cases = [
        (
            json!({"username": "an", "email": "a@example.com", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "ann lee", "email": "a@example.com", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "x".repeat(33), "email": "a@example.com", "password": PASSWORD}),
            "username",
        ),
        (
            json!({"username": "ann", "email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"username": "ann", "email": "a@example.com", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "ann", "email": "a@example.com", "password": "password123"}),
            "password",
        ),
        (
            json!({"username": "ann", "email": "a@example.com", "password": "x".repeat(129)}),
            "password",
        ),
        (
            json!({"username": "ann", "email": "a@example.com", "password": PASSWORD, "timezone": "Mars/Base"}),
            "timezone",
        ),
        (
            json!({"username": "ann", "email": "a@example.com", "password": PASSWORD, "region": "XX"}),
            "region",
        ),
        (json!({"username": "ann", "email": "a@example.com"}), "password"),
        (
            json!({"username": 42, "email": "a@example.com", "password": PASSWORD}),
            "username",
        ),
    ];
    for (body, field) in cases {
        let response = app
            .request(Method::POST, "/api/v1/auth/register", None, Some(body.clone()))
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(invalid_fields(&problem), [field], "{body} -> {problem}");
    }
    let all_bad = json!({"username": "a", "email": "b", "password": "c"});
    let problem = assert_problem(
        app.request(Method::POST, "/api/v1/auth/register", None, Some(all_bad))
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(invalid_fields(&problem), ["username", "email", "password"]);
    // Nothing was stored by any of the refused requests.
    let (status, _) = app.login("ann", PASSWORD).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn registration_refuses_fields_a_client_may_not_set(backend: Backend) {
    let app = spawn_app(backend).await;
    for field in ["id", "password_hash", "email_verified", "created_at"] {
        let mut body = json!({"username": "ann", "email": "ann@example.com", "password": PASSWORD});
        body[field] = json!(true);
        let problem = assert_problem(
            app.request(Method::POST, "/api/v1/auth/register", None, Some(body))
                .await,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert_eq!(invalid_fields(&problem), [field]);
    }
}

async fn login_by_username_or_email_returns_an_oauth_token_response_and_the_refresh_cookie(backend: Backend) {
    let app = spawn_app(backend).await;
    app.register("ann").await;
    for login in ["ann", "ANN", "ann@example.com", "Ann@Example.COM"] {
        let response = app
            .request(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"username": login, "password": PASSWORD})),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "login as {login}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 600);
        assert_eq!(body["user"]["username"], "ann");
        let refresh = body["refresh_token"].as_str().unwrap();
        assert!(refresh.len() >= 43, "at least 256 bits");
        assert!(cookie.starts_with(&format!("planner_refresh={refresh};")), "{cookie}");
        for attribute in ["HttpOnly", "SameSite=Strict", "Path=/api/v1/auth"] {
            assert!(cookie.contains(attribute), "{cookie} lacks {attribute}");
        }
        assert!(
            !cookie.contains("Secure"),
            "plain-http deployments cannot use Secure cookies: {cookie}"
        );
        let (status, me) = app
            .call(Method::GET, "/api/v1/me", body["access_token"].as_str(), None)
            .await;
        assert_eq!((status, &me["username"]), (StatusCode::OK, &json!("ann")));
    }
    // Only the hash of a refresh token is stored.
    let stored = stored_token_hashes(&app.state.db).await;
    assert_eq!(stored.len(), 4);
    assert!(
        stored
            .iter()
            .all(|h| h.len() == 64 && h.chars().all(|c| c.is_ascii_hexdigit()))
    );

    let https = spawn_app_with(backend, &[("PUBLIC_BASE_URL", "https://planner.example")]).await;
    https.register("ann").await;
    let response = https
        .request(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"username": "ann", "password": PASSWORD})),
        )
        .await;
    assert!(response.headers()["set-cookie"].to_str().unwrap().contains("; Secure"));
}

async fn stored_token_hashes(db: &sea_orm::DatabaseConnection) -> Vec<String> {
    use sea_orm::EntityTrait as _;
    api::entity::refresh_token::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.token_hash)
        .collect()
}

async fn unknown_user_and_wrong_password_get_the_same_401(backend: Backend) {
    // Real argon2 cost, so that skipping the hash for unknown users would show in the timing.
    let app = spawn_app_with(
        backend,
        &[("PASSWORD_HASH_MEMORY_KIB", "19456"), ("PASSWORD_HASH_ITERATIONS", "2")],
    )
    .await;
    app.register("ann").await;
    let (wrong_status, wrong_body) = app.login("ann", "not the password").await;
    let (unknown_status, unknown_body) = app.login("nobody", "not the password").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!((unknown_status, &unknown_body), (wrong_status, &wrong_body));

    // The fastest of several tries: other tests share the machine, and interference only ever adds time. Skipping
    // the hash for unknown users would make them ten times faster, far outside the band below.
    let fastest = |samples: Vec<Duration>| samples.into_iter().min().unwrap();
    let mut wrong = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        app.login("ann", "not the password").await;
        wrong.push(started.elapsed());
        let started = Instant::now();
        app.login("nobody", "not the password").await;
        unknown.push(started.elapsed());
    }
    let (wrong, unknown) = (fastest(wrong), fastest(unknown));
    let ratio = unknown.as_secs_f64() / wrong.as_secs_f64();
    assert!(
        (0.4..2.5).contains(&ratio),
        "unknown user {unknown:?} vs wrong password {wrong:?}"
    );
}
