//! The yardstick for `bench/run`'s first target: a minimal axum server that answers `GET /api/v1/tasks` with the
//! same JSON from memory after the same header check the real API does (an HS256 access token verified with the
//! same configuration), and nothing else. Reads `BENCH_BODY_FILE` and the planner's usual variables.

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
    let app = Router::new().route(
        "/api/v1/tasks",
        get(move |headers: HeaderMap| {
            let (body, tokens) = (body.clone(), tokens.clone());
            async move { answer(&headers, &body, &tokens) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(config.listen_addr).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

fn answer(headers: &HeaderMap, body: &Arc<[u8]>, tokens: &AccessTokens) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match token.map(|t| tokens.verify(t, chrono::Utc::now())) {
        Some(Ok(_)) => ([(header::CONTENT_TYPE, "application/json")], body.to_vec()).into_response(),
        _ => StatusCode::UNAUTHORIZED.into_response(),
    }
}
