//! `/api/v1/me`: the caller's profile, password and account.

use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::users::{UserResponse, current_user};
use crate::auth::AuthUser;
use crate::domain::{
    Email, FieldError, NewPassword, parse_clock_time, parse_display_name, parse_language, parse_region, parse_timezone,
};
use crate::entity::user;
use crate::error::{ApiError, Problem};
use crate::http::ApiJson;
use crate::repo;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_me, update_me, delete_me))
        .routes(routes!(change_password))
}

/// Profile changes; absent fields stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"display_name": "Ann Lee", "timezone": "Europe/Berlin", "region": "DE", "notifications": {"digest_time": "07:30", "release_alerts": false}}))]
pub struct UpdateMeRequest {
    pub display_name: Option<String>,
    /// Changing the address marks it unverified again.
    pub email: Option<String>,
    /// IANA time zone name.
    pub timezone: Option<String>,
    /// ISO 3166-1 alpha-2 country code.
    pub region: Option<String>,
    /// Language for movie titles and overviews, such as `en` or `pt-BR`.
    #[schema(pattern = "^\\s*[A-Za-z]{2,3}(-[A-Za-z]{2})?\\s*$")]
    pub language: Option<String>,
    /// What the planner emails about; absent fields stay as they are.
    pub notifications: Option<UpdateNotificationSettings>,
}

/// Changes to the notification settings.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateNotificationSettings {
    pub birthday_reminders: Option<bool>,
    pub task_reminders: Option<bool>,
    pub release_alerts: Option<bool>,
    /// `HH:MM`, or `null` to turn the digest off.
    #[serde(default, deserialize_with = "crate::http::json::double_option")]
    #[schema(value_type = Option<String>)]
    pub digest_time: Option<Option<String>>,
}

/// A password change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"current_password": "correct horse battery staple", "new_password": "a brand new passphrase"}))]
pub struct ChangePasswordRequest {
    pub current_password: String,
    /// 8 to 128 characters, not a commonly breached password.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Confirmation for deleting the account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"password": "correct horse battery staple"}))]
pub struct DeleteMeRequest {
    pub password: String,
}

/// Re-checks the password for a sensitive change, under the same attempt limit as logging in, so that a stolen
/// token cannot be used to guess the password.
async fn check_password(state: &AppState, user: &user::Model, field: &str, password: &str) -> Result<(), ApiError> {
    let key = crate::auth::lockout::account_key(Some(user.id), &user.username);
    if crate::auth::lockout::verify_password(state, &key, password, Some(&user.password_hash)).await? {
        Ok(())
    } else {
        Err(ApiError::field(field, "is incorrect"))
    }
}

/// The caller's profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])),
    responses(
        (status = 200, description = "The profile", body = UserResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
    ))]
async fn get_me(State(state): State<AppState>, auth: AuthUser) -> Result<ApiJson<UserResponse>, ApiError> {
    Ok(ApiJson(current_user(&state, auth).await?.into()))
}

/// Change the display name, email, time zone or region.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated profile", body = UserResponse),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The email is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    ))]
async fn update_me(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<UpdateMeRequest>,
) -> Result<ApiJson<UserResponse>, ApiError> {
    let mut errors = Vec::new();
    let mut check = |field: &str, value: Option<&String>, parse: &dyn Fn(&str) -> Result<String, String>| {
        value.and_then(|raw| {
            parse(raw)
                .map_err(|message| errors.push(FieldError::new(field, message)))
                .ok()
        })
    };
    let changes = repo::users::ProfileChanges {
        display_name: check("display_name", body.display_name.as_ref(), &parse_display_name),
        email: check("email", body.email.as_ref(), &|raw| {
            Email::parse(raw).map(|e| e.as_str().to_owned())
        }),
        timezone: check("timezone", body.timezone.as_ref(), &|raw| {
            parse_timezone(raw).map(|tz| tz.name().to_owned())
        }),
        region: check("region", body.region.as_ref(), &parse_region),
        language: check("language", body.language.as_ref(), &parse_language),
        notify_birthday_reminders: body.notifications.as_ref().and_then(|n| n.birthday_reminders),
        notify_task_reminders: body.notifications.as_ref().and_then(|n| n.task_reminders),
        notify_release_alerts: body.notifications.as_ref().and_then(|n| n.release_alerts),
        digest_time: None,
    };
    let mut changes = changes;
    if let Some(digest) = body.notifications.as_ref().and_then(|n| n.digest_time.clone()) {
        match digest.as_deref().map(parse_clock_time).transpose() {
            Ok(time) => changes.digest_time = Some(time),
            Err(message) => errors.push(FieldError::new("notifications.digest_time", message)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let user = current_user(&state, auth).await?;
    let updated = repo::users::update_profile(&state.db, user, changes, state.clock.now()).await?;
    Ok(ApiJson(updated.into()))
}

/// Change the password; every other session ends.
#[utoipa::path(put, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])), request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "The password was changed and every other session ended"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The current password is wrong or the new one is not acceptable", body = Problem, content_type = "application/problem+json"),
    ))]
async fn change_password(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let new_password =
        NewPassword::parse(&body.new_password).map_err(|message| ApiError::field("new_password", message))?;
    let user = current_user(&state, auth).await?;
    check_password(&state, &user, "current_password", &body.current_password).await?;
    let hash = state.passwords.hash(new_password.expose()).await?;
    let now = state.clock.now();
    repo::users::set_password_hash(&state.db, user.id, hash, now).await?;
    let ended = repo::sessions::revoke_other_sessions(&state.db, user.id, Some(auth.session_id), now).await?;
    tracing::info!(user.id = user.id, sessions.ended = ended, "password changed");
    Ok(StatusCode::NO_CONTENT)
}

/// Delete the account and everything it owns.
#[utoipa::path(delete, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "The account and all its data are gone"),
        (status = 401, description = "Missing or invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password is wrong", body = Problem, content_type = "application/problem+json"),
    ))]
async fn delete_me(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<DeleteMeRequest>,
) -> Result<StatusCode, ApiError> {
    let user = current_user(&state, auth).await?;
    check_password(&state, &user, "password", &body.password).await?;
    repo::users::delete(&state.db, user.id).await?;
    // Everything else went with the account through ON DELETE CASCADE; the attempt counter is keyed by name.
    let key = crate::auth::lockout::account_key(Some(user.id), &user.username);
    repo::login_attempts::clear(&state.db, &key).await?;
    tracing::info!(user.id = user.id, "account deleted");
    Ok(StatusCode::NO_CONTENT)
}
