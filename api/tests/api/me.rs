//! The caller's profile, password and account.

use reqwest::{Method, StatusCode};
use sea_orm::{EntityTrait as _, PaginatorTrait as _};
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, assert_problem, invalid_fields, spawn_app};
use crate::on_both_databases;

on_both_databases!(
    the_profile_can_be_read_and_changed,
    invalid_profile_fields_are_named_and_nothing_is_changed,
    changing_the_password_ends_every_other_session,
    deleting_the_account_removes_everything_it_owns,
);

async fn the_profile_can_be_read_and_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    app.register("bob").await;
    let (status, me) = app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["email"], "ann@example.com");

    let changes = json!({"display_name": "Ann Lee", "timezone": "Pacific/Kiritimati", "region": "nz", "email": "ann.lee@example.org"});
    let (status, me) = app
        .call(Method::PATCH, "/api/v1/me", Some(&ann.access_token), Some(changes))
        .await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["display_name"], "Ann Lee");
    assert_eq!(me["timezone"], "Pacific/Kiritimati");
    assert_eq!(me["region"], "NZ");
    assert_eq!(me["email"], "ann.lee@example.org");
    let (_, again) = app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None).await;
    assert_eq!(again, me, "the change was stored");
    assert_eq!(app.login("ann.lee@example.org", PASSWORD).await.0, StatusCode::OK);

    let response = app
        .request(
            Method::PATCH,
            "/api/v1/me",
            Some(&ann.access_token),
            Some(json!({"email": "BOB@example.com"})),
        )
        .await;
    let problem = assert_problem(response, StatusCode::CONFLICT).await;
    assert_eq!(invalid_fields(&problem), ["email"]);
}

async fn invalid_profile_fields_are_named_and_nothing_is_changed(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    let (_, before) = app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None).await;
    let cases = [
        (json!({"timezone": "Europe/Atlantis"}), vec!["timezone"]),
        (json!({"region": "ZZ"}), vec!["region"]),
        (json!({"email": "nope"}), vec!["email"]),
        (json!({"display_name": ""}), vec!["display_name"]),
        (json!({"display_name": "x".repeat(101)}), vec!["display_name"]),
        (
            json!({"timezone": "UTC", "region": "12", "email": "a@"}),
            vec!["email", "region"],
        ),
        (json!({"username": "new"}), vec!["username"]),
        (json!({"id": 7}), vec!["id"]),
    ];
    for (body, fields) in cases {
        let response = app
            .request(Method::PATCH, "/api/v1/me", Some(&ann.access_token), Some(body.clone()))
            .await;
        let problem = assert_problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        let mut named = invalid_fields(&problem);
        named.sort();
        assert_eq!(named, fields, "{body}");
    }
    let (_, after) = app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None).await;
    assert_eq!(before, after);
}

async fn changing_the_password_ends_every_other_session(backend: Backend) {
    let app = spawn_app(backend).await;
    let other = app.signed_up("ann").await;
    let current = app.logged_in("ann").await;
    let wrong = json!({"current_password": "not it at all", "new_password": "a brand new passphrase"});
    let problem = assert_problem(
        app.request(
            Method::PUT,
            "/api/v1/me/password",
            Some(&current.access_token),
            Some(wrong),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(invalid_fields(&problem), ["current_password"]);
    let weak = json!({"current_password": PASSWORD, "new_password": "12345678"});
    let problem = assert_problem(
        app.request(
            Method::PUT,
            "/api/v1/me/password",
            Some(&current.access_token),
            Some(weak),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(invalid_fields(&problem), ["new_password"]);
    assert_eq!(
        app.refresh(&other.refresh_token).await.0,
        StatusCode::OK,
        "failed attempts end nothing"
    );
    let other = app.logged_in("ann").await;

    let change = json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"});
    let (status, _) = app
        .call(
            Method::PUT,
            "/api/v1/me/password",
            Some(&current.access_token),
            Some(change),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.refresh(&other.refresh_token).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.refresh(&current.refresh_token).await.0, StatusCode::OK);
    assert_eq!(app.login("ann", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(app.login("ann", "a brand new passphrase").await.0, StatusCode::OK);
}

async fn deleting_the_account_removes_everything_it_owns(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.signed_up("ann").await;
    app.logged_in("ann").await;
    let bob = app.signed_up("bob").await;
    let problem = assert_problem(
        app.request(
            Method::DELETE,
            "/api/v1/me",
            Some(&ann.access_token),
            Some(json!({"password": "wrong password"})),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(invalid_fields(&problem), ["password"]);

    let (status, _) = app
        .call(
            Method::DELETE,
            "/api/v1/me",
            Some(&ann.access_token),
            Some(json!({"password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(app.login("ann", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&ann.access_token), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(app.refresh(&ann.refresh_token).await.0, StatusCode::UNAUTHORIZED);
    let sessions = api::entity::session::Entity::find().count(&app.state.db).await.unwrap();
    let tokens = api::entity::refresh_token::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!((sessions, tokens), (1, 1), "only bob's session and token remain");
    assert_eq!(
        app.call(Method::GET, "/api/v1/me", Some(&bob.access_token), None)
            .await
            .0,
        StatusCode::OK
    );
    app.register("ann").await;
}
