//! Access-token verification: every forged, altered, expired or misplaced token is refused with 401.

use base64::Engine as _;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, PUBLIC_BASE_URL, TEST_JWT_SECRET, TestApp, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    an_access_token_works_for_ten_minutes_plus_leeway,
    forged_and_altered_tokens_are_refused_with_www_authenticate,
    a_token_in_the_query_string_is_refused,
    restarting_without_a_configured_secret_keeps_everyone_logged_in,
);

async fn assert_refused(app: &TestApp, token: &str, why: &str) {
    let response = app.request(Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{why}");
    let challenge = response.headers()["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("Bearer "), "{why}: {challenge}");
    assert_eq!(response.headers()["content-type"], "application/problem+json");
}

async fn an_access_token_works_for_ten_minutes_plus_leeway(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    app.clock.advance(Duration::seconds(600 + 29));
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None)
            .await
            .0,
        StatusCode::OK
    );
    app.clock.advance(Duration::seconds(2));
    assert_refused(&app, &ann.access_token, "expired").await;
    let (status, body) = app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body["detail"].as_str().unwrap().contains("expired"));
}

fn claims(app: &TestApp, user_id: i64) -> Value {
    let now = now_secs(app);
    json!({
        "sub": user_id.to_string(), "sid": 1, "iat": now, "nbf": now, "exp": now + 600,
        "iss": PUBLIC_BASE_URL, "aud": format!("{PUBLIC_BASE_URL}/api"),
    })
}

fn now_secs(app: &TestApp) -> i64 {
    use api::clock::Clock as _;
    app.clock.now().timestamp()
}

fn sign(claims: &Value, algorithm: Algorithm, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).unwrap(),
    )
    .unwrap()
}

fn b64(value: &Value) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

async fn forged_and_altered_tokens_are_refused_with_www_authenticate(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let bob = app.signed_up("bob").await;
    let good = claims(&app, ann.user_id);
    assert_eq!(
        app.call(
            Method::GET,
            "/api/v1/me",
            Some(&sign(&good, Algorithm::HS256, TEST_JWT_SECRET)),
            None
        )
        .await
        .0,
        StatusCode::OK,
        "the hand-made token is right, so each refusal below is due to its one change"
    );

    let none = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&good));
    assert_refused(&app, &none, "alg none").await;
    assert_refused(&app, &sign(&good, Algorithm::HS512, TEST_JWT_SECRET), "HS512").await;
    assert_refused(
        &app,
        &sign(&good, Algorithm::HS256, "another-secret-another-secret-another-secret"),
        "wrong key",
    )
    .await;

    let parts: Vec<&str> = ann.access_token.split('.').collect();
    let mut payload: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(parts[1])
            .unwrap(),
    )
    .unwrap();
    payload["sub"] = json!(bob.user_id.to_string());
    let tampered = format!("{}.{}.{}", parts[0], b64(&payload), parts[2]);
    assert_refused(&app, &tampered, "payload changed to another user").await;

    for (claim, value) in [
        ("iss", json!("https://evil.example")),
        ("aud", json!("someone-else")),
        ("exp", json!(now_secs(&app) - 3600)),
    ] {
        let mut changed = good.clone();
        changed[claim] = value;
        assert_refused(&app, &sign(&changed, Algorithm::HS256, TEST_JWT_SECRET), claim).await;
    }
    let mut future = good.clone();
    future["nbf"] = json!(now_secs(&app) + 3600);
    assert_refused(&app, &sign(&future, Algorithm::HS256, TEST_JWT_SECRET), "not yet valid").await;
    for claim in ["sub", "sid", "iat", "nbf", "exp", "iss", "aud"] {
        let mut missing = good.clone();
        missing.as_object_mut().unwrap().remove(claim);
        assert_refused(&app, &sign(&missing, Algorithm::HS256, TEST_JWT_SECRET), claim).await;
    }
    assert_refused(&app, "not.a.token", "garbage").await;
    let response = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", format!("Basic {}", ann.access_token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
}

async fn a_token_in_the_query_string_is_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let response = app
        .client
        .get(app.url(&format!("/api/v1/me?access_token={}", ann.access_token)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .client
        .get(app.url(&format!("/api/v1/me?access_token={}", ann.access_token)))
        .bearer_auth(&ann.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "refused even next to a valid header"
    );
}

async fn restarting_without_a_configured_secret_keeps_everyone_logged_in(backend: Backend) {
    let first = crate::helpers::spawn_app_with(backend, &[("JWT_SECRET", "")]).await;
    let ann = first.signed_up("ann").await;
    let database = first.database.clone();
    let clock = first.clock.clone();
    drop(first);
    let second = crate::helpers::spawn_app_on(backend, database, &[("JWT_SECRET", "")], clock).await;
    assert_eq!(
        second
            .call(Method::GET, "/api/v1/me", Some(&ann.access_token), None)
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(second.refresh(&ann.refresh_token).await.0, StatusCode::OK);
}
