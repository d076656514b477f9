//! The user as the API shows it, shared by the auth and profile routes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthUser;
use crate::entity::user;
use crate::error::ApiError;
use crate::state::AppState;

/// The caller's account row; a token whose account was deleted meanwhile is refused.
///
/// # Errors
/// 401 when the account is gone, or a database error.
pub async fn current_user(state: &AppState, auth: AuthUser) -> Result<user::Model, ApiError> {
    crate::repo::users::find_by_id(&state.db, auth.user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("the account no longer exists".to_owned()))
}

/// The user's time zone, falling back to UTC for a value that no longer parses.
pub fn user_timezone(user: &user::Model) -> chrono_tz::Tz {
    user.timezone.parse().unwrap_or(chrono_tz::UTC)
}

/// "Now" on the user's wall clock.
pub fn local_now(state: &AppState, user: &user::Model) -> chrono::DateTime<chrono_tz::Tz> {
    state.clock.now().with_timezone(&user_timezone(user))
}

/// A user's account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "username": "ann", "email": "ann@example.com", "email_verified": false, "display_name": "Ann",
    "timezone": "Europe/Berlin", "region": "DE", "language": "de",
    "notifications": {"birthday_reminders": true, "task_reminders": true, "release_alerts": true, "digest_time": "07:30"}, "created_at": "2026-12-04T09:00:00Z"
}))]
pub struct UserResponse {
    pub id: i64,
    pub username: String,
    pub email: String,
    pub email_verified: bool,
    pub display_name: String,
    /// IANA time zone name.
    pub timezone: String,
    /// ISO 3166-1 alpha-2 country code, used for release dates.
    pub region: String,
    /// BCP 47 language for movie titles and overviews.
    pub language: String,
    pub notifications: NotificationSettings,
    pub created_at: DateTime<Utc>,
}

/// What the planner emails the user about (greetings to other people are set per birthday).
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettings {
    pub birthday_reminders: bool,
    pub task_reminders: bool,
    pub release_alerts: bool,
    /// `HH:MM` in the user's time zone for a daily digest of today's and overdue tasks and the coming week's
    /// birthdays and releases; `null` for none.
    pub digest_time: Option<String>,
}

impl From<user::Model> for UserResponse {
    fn from(user: user::Model) -> Self {
        Self {
            id: user.id,
            username: user.username,
            email: user.email,
            email_verified: user.email_verified_at.is_some(),
            display_name: user.display_name,
            timezone: user.timezone,
            region: user.region,
            language: user.language,
            notifications: NotificationSettings {
                birthday_reminders: user.notify_birthday_reminders,
                task_reminders: user.notify_task_reminders,
                release_alerts: user.notify_release_alerts,
                digest_time: user.digest_time,
            },
            created_at: user.created_at,
        }
    }
}
