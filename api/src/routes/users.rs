//! The user as the API shows it, shared by the auth and profile routes.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::entity::user;

/// A user's account as its owner sees it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": 1, "username": "ann", "email": "ann@example.com", "email_verified": false, "display_name": "Ann",
    "timezone": "Europe/Berlin", "region": "DE", "created_at": "2026-12-04T09:00:00Z"
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
    pub created_at: DateTime<Utc>,
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
            created_at: user.created_at,
        }
    }
}
