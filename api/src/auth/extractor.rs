//! `AuthUser`: a handler that takes it is protected. The bearer token is verified without a database query.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::error::ApiError;
use crate::state::AppState;

/// The authenticated caller.
#[derive(Clone, Copy, Debug)]
pub struct AuthUser {
    pub user_id: i64,
    pub session_id: i64,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Tokens in URLs end up in logs and browser history; refuse them even alongside a valid header.
        let in_query = parts
            .uri
            .query()
            .is_some_and(|q| q.split('&').any(|pair| pair.split('=').next() == Some("access_token")));
        if in_query {
            return Err(ApiError::Unauthorized(
                "access tokens are accepted only in the Authorization header".to_owned(),
            ));
        }
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or_else(|| ApiError::Unauthorized("an access token is required".to_owned()))?;
        let token = bearer_token(header)
            .ok_or_else(|| ApiError::Unauthorized("the Authorization header must be `Bearer <token>`".to_owned()))?;
        let (user_id, session_id) = state
            .access_tokens
            .verify(token, state.clock.now())
            .map_err(|e| ApiError::Unauthorized(e.to_string()))?;
        Ok(Self { user_id, session_id })
    }
}

fn bearer_token(header: &axum::http::HeaderValue) -> Option<&str> {
    header
        .to_str()
        .ok()
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
        .map(str::trim)
}

/// The user a request's valid bearer token names, for middleware that needs it without rejecting anything.
pub fn bearer_user_id(state: &AppState, headers: &axum::http::HeaderMap) -> Option<i64> {
    let token = bearer_token(headers.get(AUTHORIZATION)?)?;
    state
        .access_tokens
        .verify(token, state.clock.now())
        .ok()
        .map(|(user_id, _)| user_id)
}
