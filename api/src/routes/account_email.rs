//! Email verification and password reset: single-use links, valid 60 minutes, always built on `PUBLIC_BASE_URL`.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Duration;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::users::{UserResponse, current_user};
use crate::auth::{AuthUser, hash_token, random_bytes};
use crate::domain::NewPassword;
use crate::email::mailer::{OutgoingEmail, SendError};
use crate::email::templates::{self, RenderedMessage};
use crate::entity::user;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::http::client::ClientInfo;
use crate::repo;
use crate::repo::email_tokens::{PASSWORD_RESET, VERIFY_EMAIL};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(request_email_verification))
        .routes(routes!(confirm_email_verification))
        .routes(routes!(request_password_reset))
        .routes(routes!(confirm_password_reset))
}

const TOKEN_LIFETIME_MINUTES: i64 = 60;
/// Messages of one kind an account can trigger per hour, so the service cannot be used to flood an inbox.
const MAX_PER_HOUR: u64 = 5;

/// A token from an emailed link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q0v3pX9hYt2wGmS1c8bLfA4kN7eR5uJ6iO0pZ2xC3vB"}))]
pub struct TokenRequest {
    pub token: String,
}

/// Where to send a password-reset link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"email": "ann@example.com"}))]
pub struct PasswordResetRequest {
    pub email: String,
}

/// A new password, with the token from the emailed link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"token": "q0v3pX9hYt2wGmS1c8bLfA4kN7eR5uJ6iO0pZ2xC3vB", "new_password": "a brand new passphrase"}))]
pub struct PasswordResetConfirm {
    pub token: String,
    pub new_password: String,
}

fn new_token() -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>())
}

/// Stores a token for a user and renders the message that carries its link.
async fn issue(
    state: &AppState,
    user: &user::Model,
    purpose: &str,
    path: &str,
    render: impl FnOnce(&str) -> RenderedMessage,
) -> Result<Option<OutgoingEmail>, ApiError> {
    let now = state.clock.now();
    let token = new_token();
    let new = repo::email_tokens::NewToken {
        user_id: user.id,
        purpose,
        token_hash: hash_token(&token),
        email: &user.email,
        expires_at: now + Duration::minutes(TOKEN_LIFETIME_MINUTES),
    };
    let Some(row) =
        repo::email_tokens::insert_within_limit(&state.db, new, MAX_PER_HOUR, now - Duration::hours(1), now).await?
    else {
        return Ok(None);
    };
    let link = state.config.app_url(&format!("{path}?token={token}"));
    let message = render(&link);
    let host = state.config.public_base_url.host_str().unwrap_or("planner").to_owned();
    Ok(Some(OutgoingEmail {
        message_id: format!("{purpose}-{}@{host}", row.id),
        to: user.email.clone(),
        from_name: None,
        reply_to: None,
        subject: message.subject,
        text: message.text,
        html: message.html,
    }))
}

/// Email a link that confirms the caller's address.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/request", tag = "auth", security(("bearer" = [])),
    responses(
        (status = 202, description = "A link is on its way to the caller's address"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The address is already verified", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many links requested", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The mail server is not accepting mail right now", body = Problem, content_type = "application/problem+json"),
    ))]
async fn request_email_verification(
    State(state): State<AppState>,
    auth: AuthUser,
    client: ClientInfo,
) -> Result<StatusCode, ApiError> {
    state.admit_address("verify-email", &client)?;
    let user = current_user(&state, auth).await?;
    if user.email_verified_at.is_some() {
        return Err(ApiError::Conflict {
            field: "email".to_owned(),
            message: "is already verified".to_owned(),
        });
    }
    let settings = state.config.notification_settings_url();
    let email = issue(&state, &user, VERIFY_EMAIL, "/verify-email", |link| {
        templates::verify_email(&user.display_name, &user.email, link, &settings)
    })
    .await?
    .ok_or(ApiError::TooManyRequests { retry_after_secs: 3600 })?;
    // The caller waits for this one, so a mail server that refuses is reported rather than hidden.
    state.mailer.send(&email).await.map_err(|e| {
        tracing::warn!(user.id = user.id, error.cause = %e, "verification email not sent");
        match e {
            SendError::Transient(_) => {
                ApiError::Unavailable("The mail server is not accepting mail right now; try again later.".to_owned())
            }
            SendError::Permanent(_) => ApiError::field("email", "the mail server refused this address"),
        }
    })?;
    Ok(StatusCode::ACCEPTED)
}

/// Confirm an address with the token from the emailed link.
#[utoipa::path(post, path = "/api/v1/auth/verify-email/confirm", tag = "auth", request_body = TokenRequest,
    responses(
        (status = 200, description = "The address is verified", body = UserResponse),
        (status = 422, description = "The token is unknown, used, expired, or for an address the account no longer has", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
    ))]
async fn confirm_email_verification(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<ApiJson<UserResponse>, ApiError> {
    state.admit_address("verify-email-confirm", &client)?;
    let invalid = || ApiError::field("token", "is invalid or has expired; request a new link");
    let now = state.clock.now();
    let token = repo::email_tokens::consume(&state.db, VERIFY_EMAIL, &hash_token(&body.token), now)
        .await?
        .ok_or_else(invalid)?;
    let user = repo::users::find_by_id(&state.db, token.user_id)
        .await?
        .ok_or_else(invalid)?;
    if user.email_normalized != token.email {
        return Err(invalid());
    }
    repo::users::mark_email_verified(&state.db, user.id, now).await?;
    let user = repo::users::find_by_id(&state.db, user.id).await?.ok_or_else(invalid)?;
    tracing::info!(user.id = user.id, "email verified");
    Ok(ApiJson(user.into()))
}

/// Email a password-reset link. The answer is the same whether or not an account has the address.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/request", tag = "auth", request_body = PasswordResetRequest,
    responses(
        (status = 202, description = "If an account has this address, a link is on its way"),
        (status = 429, description = "Too many requests from this address", body = Problem, content_type = "application/problem+json"),
    ))]
async fn request_password_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> Result<StatusCode, ApiError> {
    state.admit_address("password-reset", &client)?;
    if body.email.len() > 254 {
        return Ok(StatusCode::ACCEPTED);
    }
    // The work happens after the answer, so its timing says nothing about whether the account exists.
    tokio::spawn(async move {
        let result = async {
            let Some(user) = repo::users::find_by_email(&state.db, &body.email).await? else {
                return Ok(());
            };
            let settings = state.config.notification_settings_url();
            let email = issue(&state, &user, PASSWORD_RESET, "/reset-password", |link| {
                templates::password_reset(&user.display_name, link, &settings)
            })
            .await?;
            if let Some(email) = email {
                state
                    .mailer
                    .send(&email)
                    .await
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?;
            }
            Ok::<_, ApiError>(())
        }
        .await;
        if let Err(e) = result {
            tracing::warn!(error.cause = %e, "password-reset email not sent");
        }
    });
    Ok(StatusCode::ACCEPTED)
}

/// Set a new password with the token from the emailed link; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "auth", request_body = PasswordResetConfirm,
    responses(
        (status = 204, description = "The password is changed and every session has ended"),
        (status = 422, description = "The token is invalid or expired, or the new password is not acceptable", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts from this address", body = Problem, content_type = "application/problem+json"),
    ))]
async fn confirm_password_reset(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<PasswordResetConfirm>,
) -> Result<StatusCode, ApiError> {
    state.admit_address("password-reset-confirm", &client)?;
    // Checked first, so that a weak password does not spend the token.
    let password = NewPassword::parse(&body.new_password).map_err(|m| ApiError::field("new_password", m))?;
    let invalid = || ApiError::field("token", "is invalid or has expired; request a new link");
    let now = state.clock.now();
    let token = repo::email_tokens::consume(&state.db, PASSWORD_RESET, &hash_token(&body.token), now)
        .await?
        .ok_or_else(invalid)?;
    let user = repo::users::find_by_id(&state.db, token.user_id)
        .await?
        .ok_or_else(invalid)?;
    if user.email_normalized != token.email {
        return Err(invalid());
    }
    // Hashed only for a valid token, so the endpoint cannot be used to make the server hash at will.
    let hash = state.passwords.hash(password.expose()).await?;
    repo::users::set_password_hash(&state.db, user.id, hash, now).await?;
    repo::email_tokens::void_unused(&state.db, user.id, PASSWORD_RESET, now).await?;
    let ended = repo::sessions::revoke_other_sessions(&state.db, user.id, None, now).await?;
    tracing::info!(user.id = user.id, sessions.ended = ended, "password reset");
    Ok(StatusCode::NO_CONTENT)
}
