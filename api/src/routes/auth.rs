//! `/api/v1/auth`: register, log in, refresh, log out, and the caller's sessions.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, COOKIE, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::users::UserResponse;
use crate::auth::refresh::{IssuedRefresh, RefreshError};
use crate::auth::{AuthUser, lockout};
use crate::domain::{Email, FieldError, NewPassword, Username, parse_display_name, parse_region, parse_timezone};
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::client::ClientInfo;
use crate::repo;
use crate::repo::sessions::SessionOrigin;
use crate::state::AppState;

/// The refresh cookie, readable only by the server and only sent to `/api/v1/auth`.
pub const REFRESH_COOKIE: &str = "planner_refresh";
const COOKIE_PATH: &str = "/api/v1/auth";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(list_sessions, delete_other_sessions))
        .routes(routes!(delete_session))
}

/// A new account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "ann", "email": "ann@example.com", "password": "correct horse battery staple"}))]
pub struct RegisterRequest {
    /// 3 to 32 letters, digits, `_`, `-` or `.`; unique regardless of case.
    #[schema(pattern = "^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    /// Unique regardless of case.
    pub email: String,
    /// 8 to 128 characters, not a commonly breached password.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// Defaults to the username.
    pub display_name: Option<String>,
    /// IANA time zone; defaults to the server's default.
    pub timezone: Option<String>,
    /// ISO 3166-1 alpha-2; defaults to the server's default.
    pub region: Option<String>,
}

/// Credentials; `username` may also be the email address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "ann", "password": "correct horse battery staple"}))]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// A refresh token for clients that do not use the cookie.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE"}))]
pub struct RefreshRequest {
    pub refresh_token: Option<String>,
}

/// An OAuth 2.0-shaped token response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "access_token": "eyJhbGciOiJIUzI1NiJ9...", "token_type": "Bearer", "expires_in": 600,
    "refresh_token": "Zm9vYmFy...", "user": {"id": 1, "username": "ann", "email": "ann@example.com", "email_verified": false,
    "display_name": "Ann", "timezone": "UTC", "region": "US", "created_at": "2026-12-04T09:00:00Z"}
}))]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Single-use: each refresh returns a new one.
    pub refresh_token: String,
    pub user: UserResponse,
}

/// One of the caller's sessions (a login on one device).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub user_agent: Option<String>,
    pub ip: Option<String>,
    /// Whether this is the session of the access token making the request.
    pub current: bool,
}

/// The caller's live sessions.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": 12, "created_at": "2026-12-01T08:00:00Z", "last_used_at": "2026-12-04T11:58:00Z",
    "user_agent": "Mozilla/5.0 (X11; Linux x86_64)", "ip": "203.0.113.7", "current": true}]}))]
pub struct SessionList {
    pub items: Vec<SessionResponse>,
}

/// The API shape of a session, marking the caller's own.
pub fn session_response(session: crate::entity::session::Model, current_session_id: i64) -> SessionResponse {
    SessionResponse {
        current: session.id == current_session_id,
        id: session.id,
        created_at: session.created_at,
        last_used_at: session.last_used_at,
        user_agent: session.user_agent,
        ip: session.ip,
    }
}

/// Create an account.
#[utoipa::path(post, path = "/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account was created", body = UserResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username or email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
    ))]
async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, ApiJson<UserResponse>), ApiError> {
    state.admit_address("register", &client)?;
    let mut errors = Vec::new();
    let mut check = |field: &str, result: Result<String, String>| {
        result
            .map_err(|message| errors.push(FieldError::new(field, message)))
            .ok()
    };
    let username = check(
        "username",
        Username::parse(&body.username).map(|u| u.as_str().to_owned()),
    );
    let email = check("email", Email::parse(&body.email).map(|e| e.as_str().to_owned()));
    let password = check(
        "password",
        NewPassword::parse(&body.password).map(|p| p.expose().to_owned()),
    );
    let display_name = match &body.display_name {
        Some(name) => check("display_name", parse_display_name(name)),
        None => username.clone(),
    };
    let timezone = match &body.timezone {
        Some(tz) => check("timezone", parse_timezone(tz).map(|tz| tz.name().to_owned())),
        None => Some(state.config.default_timezone.clone()),
    };
    let region = match &body.region {
        Some(region) => check("region", parse_region(region)),
        None => Some(state.config.default_region.clone()),
    };
    let (Some(username), Some(email), Some(password), Some(display_name), Some(timezone), Some(region)) =
        (username, email, password, display_name, timezone, region)
    else {
        return Err(ApiError::Validation(errors));
    };
    let password_hash = state.passwords.hash(&password).await?;
    let new_user = repo::users::NewUser {
        username,
        email,
        display_name,
        password_hash,
        timezone,
        region,
    };
    let user = repo::users::insert(&state.db, new_user, state.clock.now()).await?;
    tracing::info!(user.id = user.id, "account registered");
    Ok((StatusCode::CREATED, ApiJson(user.into())))
}

/// Log in with a username or email and a password.
#[utoipa::path(post, path = "/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the refresh token is also set as an HttpOnly cookie", body = TokenResponse),
        (status = 400, description = "Malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Unknown user or wrong password (the same answer for both)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address or for this account", body = Problem, content_type = "application/problem+json"),
    ))]
async fn login(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    state.admit_address("login", &client)?;
    if body.username.len() > 254 || body.password.len() > 1024 {
        return Err(invalid_credentials());
    }
    let now = state.clock.now();
    let user = repo::users::find_by_login(&state.db, &body.username).await?;
    let key = lockout::account_key(user.as_ref().map(|u| u.id), &body.username);
    let verified = lockout::verify_password(
        &state,
        &key,
        &body.password,
        user.as_ref().map(|u| u.password_hash.as_str()),
    )
    .await?;
    let Some(user) = user.filter(|_| verified) else {
        tracing::info!("login failed");
        return Err(invalid_credentials());
    };
    let origin = SessionOrigin {
        user_agent: client.user_agent,
        ip: Some(client.ip.to_string()),
    };
    let issued = state
        .refresh_tokens
        .start_session(&state.db, user.id, origin, state.session_policy(), now)
        .await?;
    tracing::info!(user.id = user.id, session.id = issued.session.id, "logged in");
    token_response(&state, issued, user.into())
}

fn invalid_credentials() -> ApiError {
    ApiError::Unauthorized("the username or password is incorrect".to_owned())
}

/// Exchange a refresh token (from the body or the cookie) for a new access token and refresh token.
#[utoipa::path(post, path = "/refresh", tag = "auth", request_body(content = Option<RefreshRequest>, description = "Omit when the refresh cookie is sent"),
    responses(
        (status = 200, description = "A new token pair; the old refresh token is used up", body = TokenResponse),
        (status = 401, description = "The refresh token is unknown, expired, or was reused (which ends its session)", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The cookie was sent without the app's own or a configured Origin", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body that is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
    ))]
async fn refresh(
    State(state): State<AppState>,
    client: ClientInfo,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    state.admit_address("refresh", &client)?;
    let presented = presented_refresh_token(&state, &headers, &body)?;
    let now = state.clock.now();
    let issued = state
        .refresh_tokens
        .rotate(&state.db, &presented, state.session_policy(), now)
        .await
        .map_err(|e| match e {
            RefreshError::Database(db) => ApiError::from(db),
            other => ApiError::Unauthorized(other.to_string()),
        })?;
    let user = repo::users::find_by_id(&state.db, issued.session.user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the account no longer exists".to_owned()))?;
    token_response(&state, issued, user.into())
}

/// End the session of a refresh token (from the body or the cookie) and clear the cookie.
#[utoipa::path(post, path = "/logout", tag = "auth", request_body(content = Option<RefreshRequest>, description = "Omit when the refresh cookie is sent"),
    responses(
        (status = 204, description = "Logged out (also when the token was already unknown)"),
        (status = 400, description = "No refresh token in the body or cookie, or malformed JSON", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The cookie was sent without the app's own or a configured Origin", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "A body that is not JSON", body = Problem, content_type = "application/problem+json"),
    ))]
async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Response, ApiError> {
    let presented = presented_refresh_token(&state, &headers, &body)?;
    state
        .refresh_tokens
        .end_session(&state.db, &presented, state.clock.now())
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(SET_COOKIE, cookie(&state, "", 0)?);
    Ok(response)
}

/// The caller's sessions that can still be refreshed.
#[utoipa::path(get, path = "/sessions", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 200, description = "Live sessions, most recently used first", body = SessionList),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
    ))]
async fn list_sessions(State(state): State<AppState>, auth: AuthUser) -> Result<ApiJson<SessionList>, ApiError> {
    let policy = state.session_policy();
    let sessions =
        repo::sessions::list_live_sessions(&state.db, auth.user_id, state.clock.now(), policy.idle_timeout).await?;
    let items = sessions
        .into_iter()
        .map(|s| session_response(s, auth.session_id))
        .collect();
    Ok(ApiJson(SessionList { items }))
}

/// End every session of the caller except the current one ("log out everywhere else").
#[utoipa::path(delete, path = "/sessions", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 204, description = "Every other session has ended"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_other_sessions(State(state): State<AppState>, auth: AuthUser) -> Result<StatusCode, ApiError> {
    repo::sessions::revoke_other_sessions(&state.db, auth.user_id, Some(auth.session_id), state.clock.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End one of the caller's sessions.
#[utoipa::path(delete, path = "/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path, description = "Session id")),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "The caller has no such live session", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_session(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    if repo::sessions::revoke_session(&state.db, auth.user_id, id, state.clock.now()).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound)
    }
}

/// Takes the refresh token from a JSON body if there is one, else from the cookie, which only trusted origins may use.
fn presented_refresh_token(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<String, ApiError> {
    let from_body = crate::http::json::optional::<RefreshRequest>(headers, body)?.and_then(|r| r.refresh_token);
    if let Some(token) = from_body {
        return Ok(token);
    }
    let cookie = headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == REFRESH_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest("no refresh token in the body or the cookie".to_owned()))?;
    // The cookie goes along with any request the browser makes, so only the app's own pages may spend it.
    // Browsers send Origin with every POST, so a request without one is not a page of ours either.
    let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
    let trusted = origin.is_some_and(|origin| state.config.trusted_origins().any(|trusted| trusted == origin));
    if !trusted {
        return Err(ApiError::Forbidden(
            "this origin may not use the refresh cookie".to_owned(),
        ));
    }
    Ok(cookie)
}

fn cookie(state: &AppState, value: &str, max_age_secs: u64) -> Result<HeaderValue, ApiError> {
    let secure = if state.config.cookies_secure() { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{REFRESH_COOKIE}={value}; Path={COOKIE_PATH}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}"
    ))
    .map_err(|e| ApiError::Internal(e.into()))
}

fn token_response(state: &AppState, issued: IssuedRefresh, user: UserResponse) -> Result<Response, ApiError> {
    let now = state.clock.now();
    let access_token = state.access_tokens.issue(user.id, issued.session.id, now)?;
    let cookie_age = u64::try_from((issued.session.expires_at - now).num_seconds().max(0)).unwrap_or(0);
    let body = TokenResponse {
        access_token,
        token_type: "Bearer".to_owned(),
        expires_in: state.access_tokens.ttl().as_secs(),
        refresh_token: issued.refresh_token.clone(),
        user,
    };
    let mut response = ApiJson(body).into_response();
    let headers = response.headers_mut();
    headers.insert(SET_COOKIE, cookie(state, &issued.refresh_token, cookie_age)?);
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("pragma", HeaderValue::from_static("no-cache"));
    Ok(response)
}
