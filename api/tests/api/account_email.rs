//! Email verification and password reset, delivered over SMTP to a real server inside the test.

use chrono::Duration;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, assert_problem, invalid_fields, spawn_app, spawn_app_with};
use crate::on_both_databases;
use crate::smtp_server::{Mode, SmtpServer};

on_both_databases!(
    verifying_an_email_address_takes_the_emailed_single_use_link,
    a_password_reset_link_sets_a_new_password_and_ends_every_session,
    reset_requests_say_nothing_about_whether_an_account_exists,
    without_smtp_messages_are_written_as_eml_files,
);

async fn app_with_smtp(backend: Backend, smtp: &SmtpServer) -> TestApp {
    spawn_app_with(
        backend,
        &[
            ("SMTP_URL", &smtp.url()),
            ("MAIL_FROM", "Planner <planner@planner.test>"),
        ],
    )
    .await
}

/// The token in the link of a received message, read from its plain-text part.
fn token_from(message: &crate::smtp_server::Received, path: &str) -> String {
    let parsed = message.parsed();
    let text = parsed.body_text(0).expect("a text part").into_owned();
    let start = text
        .find(&format!("http://planner.test{path}?token="))
        .unwrap_or_else(|| panic!("no {path} link in {text}"));
    text[start..]
        .split_whitespace()
        .next()
        .unwrap()
        .split("token=")
        .nth(1)
        .unwrap()
        .to_owned()
}

async fn verifying_an_email_address_takes_the_emailed_single_use_link(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp).await;
    let ann = app.signed_up("ann").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/verify-email/request",
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let received = smtp.wait_for(1, 5).await;
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, ["<ann@example.com>"]);
    let parsed = received[0].parsed();
    assert_eq!(parsed.subject(), Some("Confirm your email address"));
    assert_eq!(
        parsed.from().and_then(|f| f.first()).and_then(|a| a.address()),
        Some("planner@planner.test")
    );
    assert!(
        parsed
            .message_id()
            .is_some_and(|id| id.starts_with("verify_email-") && id.ends_with("@planner.test"))
    );
    assert!(
        parsed
            .body_html(0)
            .expect("an HTML part")
            .contains("Confirm my address")
    );
    let token = token_from(&received[0], "/verify-email");
    // Only a hash of the emailed token is stored: someone who reads the database cannot use the link.
    let stored: Vec<String> = {
        use sea_orm::EntityTrait as _;
        api::entity::email_token::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .into_iter()
            .map(|row| row.token_hash)
            .collect()
    };
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(&token) && stored[0].len() >= 32, "{stored:?}");

    let (status, user) = app
        .call(
            Method::POST,
            "/api/v1/auth/verify-email/confirm",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["email_verified"], true);
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None).await;
    assert_eq!(me["email_verified"], true);
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/verify-email/confirm",
            None,
            Some(json!({"token": token})),
        )
        .await;
    assert_eq!(
        invalid_fields(&assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["token"],
        "single use"
    );
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/verify-email/request",
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_problem(response, StatusCode::CONFLICT).await;

    // A new address must be verified again, and a link sent to the old one no longer counts.
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&ann.access_token),
        Some(json!({"email": "ann@new.example"})),
    )
    .await;
    let (_, me) = app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None).await;
    assert_eq!(me["email_verified"], false);
    app.call(
        Method::POST,
        "/api/v1/auth/verify-email/request",
        Some(&ann.access_token),
        None,
    )
    .await;
    let to_new = smtp.wait_for(2, 5).await;
    assert_eq!(to_new[1].rcpt_to, ["<ann@new.example>"]);
    let stale = token_from(&to_new[1], "/verify-email");
    app.call(
        Method::PATCH,
        "/api/v1/me",
        Some(&ann.access_token),
        Some(json!({"email": "ann@third.example"})),
    )
    .await;
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/verify-email/confirm",
            None,
            Some(json!({"token": stale})),
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;

    // Expired after 60 minutes.
    app.call(
        Method::POST,
        "/api/v1/auth/verify-email/request",
        Some(&ann.access_token),
        None,
    )
    .await;
    let late = token_from(&smtp.wait_for(3, 5).await[2], "/verify-email");
    app.clock.advance(Duration::minutes(61));
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/verify-email/confirm",
            None,
            Some(json!({"token": late})),
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;

    // A mail server that says "try later" is reported, not hidden.
    smtp.set_mode(Mode::TryLater);
    let ann = app.logged_in("ann").await;
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/verify-email/request",
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_problem(response, StatusCode::SERVICE_UNAVAILABLE).await;
    smtp.set_mode(Mode::Refuse);
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/verify-email/request",
            Some(&ann.access_token),
            None,
        )
        .await;
    let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(invalid_fields(&problem), ["email"], "a 550 names the address");
    assert_eq!(smtp.refused(), 2);
}

async fn a_password_reset_link_sets_a_new_password_and_ends_every_session(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp).await;
    let ann = app.signed_up("ann").await;
    // A forged Host header must not end up in the link.
    let response = app
        .client
        .post(app.url("/api/v1/auth/password-reset/request"))
        .header("host", "evil.example")
        .json(&json!({"email": "ANN@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let received = smtp.wait_for(1, 5).await;
    assert_eq!(received.len(), 1);
    assert!(!String::from_utf8_lossy(&received[0].data).contains("evil.example"));
    let token = token_from(&received[0], "/reset-password");

    let weak = json!({"token": token, "new_password": "password"});
    let response = app
        .request(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(weak))
        .await;
    assert_eq!(
        invalid_fields(&assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await),
        ["new_password"]
    );
    let good = json!({"token": token, "new_password": "a brand new passphrase"});
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(good.clone()),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NO_CONTENT,
        "a refused weak password did not spend the token"
    );
    assert_eq!(
        app.refresh(&ann.refresh_token).await.0,
        StatusCode::UNAUTHORIZED,
        "every session ended"
    );
    assert_eq!(app.login("ann", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login("ann", "a brand new passphrase").await.0, StatusCode::OK);
    let response = app
        .request(Method::POST, "/api/v1/auth/password-reset/confirm", None, Some(good))
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;

    app.call(
        Method::POST,
        "/api/v1/auth/password-reset/request",
        None,
        Some(json!({"email": "ann@example.com"})),
    )
    .await;
    let late = token_from(&smtp.wait_for(2, 5).await[1], "/reset-password");
    app.clock.advance(Duration::minutes(61));
    let response = app
        .request(
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            None,
            Some(json!({"token": late, "new_password": "yet another passphrase"})),
        )
        .await;
    assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
}

async fn reset_requests_say_nothing_about_whether_an_account_exists(backend: Backend) {
    let smtp = SmtpServer::start().await;
    let app = app_with_smtp(backend, &smtp).await;
    app.register("ann").await;
    let known = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/request",
            None,
            Some(json!({"email": "ann@example.com"})),
        )
        .await;
    let unknown = app
        .call(
            Method::POST,
            "/api/v1/auth/password-reset/request",
            None,
            Some(json!({"email": "nobody@example.com"})),
        )
        .await;
    assert_eq!(known, unknown);
    assert_eq!(known.0, StatusCode::ACCEPTED);
    // Mail goes out in the background: wait for it (however busy the machine), then a little longer for any extra.
    smtp.wait_for(1, 20).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let received = smtp.received();
    assert_eq!(received.len(), 1, "only the real account gets mail");
    assert_eq!(received[0].rcpt_to, ["<ann@example.com>"]);
    // At most five links an hour per account.
    for _ in 0..6 {
        app.call(
            Method::POST,
            "/api/v1/auth/password-reset/request",
            None,
            Some(json!({"email": "ann@example.com"})),
        )
        .await;
    }
    smtp.wait_for(5, 20).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 5);
}

async fn without_smtp_messages_are_written_as_eml_files(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let (status, _) = app
        .call(
            Method::POST,
            "/api/v1/auth/verify-email/request",
            Some(&ann.access_token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let outbox = app.database.data_dir.path().join("outbox");
    let files: Vec<_> = std::fs::read_dir(&outbox).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(
        files[0]
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("verify_email-")
    );
    let raw = std::fs::read(&files[0]).unwrap();
    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some("Confirm your email address"));
    assert!(
        parsed
            .body_text(0)
            .unwrap()
            .contains("http://planner.test/verify-email?token=")
    );
}
