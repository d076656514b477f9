//! The yardstick for `bench/run`'s first target: a minimal axum server that answers `GET /api/v1/tasks` with the
//! same JSON from memory after the same header check the real API does (an HS256 access token verified with the
//! same configuration), and nothing else. Reads `BENCH_BODY_FILE` and the planner's usual variables.
//!
//! `GET /floor` adds the least any endpoint that reads the database pays: after the same check it looks the caller
//! up by primary key through the app's own pool (`DATABASE_URL`), then answers the same JSON. Its rate bounds what
//! the real endpoint, which runs two queries and serialises the page, can reach.

use std::sync::Arc;

use api::auth::access_token::AccessTokens;
use api::config::Config;
use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    api::install_crypto_provider();
    let config = Config::from_env()?;
    let body: Arc<[u8]> = std::fs::read(std::env::var("BENCH_BODY_FILE")?)?.into();
    let tokens = Arc::new(AccessTokens::new(&config)?);
    let db = api::db::connect(&config).await?;
    let (floor_body, floor_tokens) = (body.clone(), tokens.clone());
    let app = Router::new()
        .route(
            "/api/v1/tasks",
            get(move |headers: HeaderMap| {
                let (body, tokens) = (body.clone(), tokens.clone());
                async move { answer(&headers, &body, &tokens) }
            }),
        )
        .route(
            "/floor",
            get(move |headers: HeaderMap| {
                let (body, tokens, db) = (floor_body.clone(), floor_tokens.clone(), db.clone());
                async move {
                    let Some(user_id) = caller(&headers, &tokens) else {
                        return StatusCode::UNAUTHORIZED.into_response();
                    };
                    match api::repo::users::find_by_id(&db, user_id).await {
                        Ok(Some(_)) => ([(header::CONTENT_TYPE, "application/json")], body.to_vec()).into_response(),
                        _ => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
                    }
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind(config.listen_addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn answer(headers: &HeaderMap, body: &Arc<[u8]>, tokens: &AccessTokens) -> Response {
    match caller(headers, tokens) {
        Some(_) => ([(header::CONTENT_TYPE, "application/json")], body.to_vec()).into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

/// The user id in a valid bearer token.
fn caller(headers: &HeaderMap, tokens: &AccessTokens) -> Option<i64> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))?;
    tokens
        .verify(token, chrono::Utc::now())
        .ok()
        .map(|(user_id, _)| user_id)
}
