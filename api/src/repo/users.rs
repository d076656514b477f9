//! Queries on `users`.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _,
};

use crate::entity::user;

/// What registration stores.
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub timezone: String,
    pub region: String,
}

pub async fn insert(db: &impl ConnectionTrait, new: NewUser, now: DateTime<Utc>) -> Result<user::Model, DbErr> {
    user::ActiveModel {
        username_normalized: Set(new.username.to_ascii_lowercase()),
        username: Set(new.username),
        email_normalized: Set(new.email.to_lowercase()),
        email: Set(new.email),
        email_verified_at: Set(None),
        display_name: Set(new.display_name),
        password_hash: Set(new.password_hash),
        timezone: Set(new.timezone),
        region: Set(new.region),
        language: Set("en".to_owned()),
        calendar_feed_version: Set(0),
        notify_birthday_reminders: Set(true),
        notify_task_reminders: Set(true),
        notify_release_alerts: Set(true),
        digest_time: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn find_by_id(db: &impl ConnectionTrait, id: i64) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find_by_id(id).one(db).await
}

/// Finds the account a login names: by email when it contains `@`, else by username; both case-insensitively.
pub async fn find_by_login(db: &impl ConnectionTrait, login: &str) -> Result<Option<user::Model>, DbErr> {
    let column = if login.contains('@') {
        user::Column::EmailNormalized
    } else {
        user::Column::UsernameNormalized
    };
    user::Entity::find()
        .filter(column.eq(login.trim().to_lowercase()))
        .one(db)
        .await
}

/// Profile fields a user may change; `None` leaves a field as it is.
#[derive(Default)]
pub struct ProfileChanges {
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub timezone: Option<String>,
    pub region: Option<String>,
    pub language: Option<String>,
    pub notify_birthday_reminders: Option<bool>,
    pub notify_task_reminders: Option<bool>,
    pub notify_release_alerts: Option<bool>,
    /// `Some(None)` turns the digest off.
    pub digest_time: Option<Option<String>>,
}

pub async fn update_profile(
    db: &impl ConnectionTrait,
    current: user::Model,
    changes: ProfileChanges,
    now: DateTime<Utc>,
) -> Result<user::Model, DbErr> {
    let email_changed = changes
        .email
        .as_ref()
        .is_some_and(|e| e.to_lowercase() != current.email_normalized);
    let mut active: user::ActiveModel = current.into();
    if let Some(display_name) = changes.display_name {
        active.display_name = Set(display_name);
    }
    if let Some(email) = changes.email {
        if email_changed {
            // A new address has to be verified again before mail is sent on the user's behalf.
            active.email_verified_at = Set(None);
        }
        active.email_normalized = Set(email.to_lowercase());
        active.email = Set(email);
    }
    if let Some(timezone) = changes.timezone {
        active.timezone = Set(timezone);
    }
    if let Some(region) = changes.region {
        active.region = Set(region);
    }
    if let Some(language) = changes.language {
        active.language = Set(language);
    }
    if let Some(on) = changes.notify_birthday_reminders {
        active.notify_birthday_reminders = Set(on);
    }
    if let Some(on) = changes.notify_task_reminders {
        active.notify_task_reminders = Set(on);
    }
    if let Some(on) = changes.notify_release_alerts {
        active.notify_release_alerts = Set(on);
    }
    if let Some(time) = changes.digest_time {
        active.digest_time = Set(time);
    }
    active.updated_at = Set(now);
    active.update(db).await
}

pub async fn set_password_hash(
    db: &impl ConnectionTrait,
    user_id: i64,
    password_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    user::ActiveModel {
        id: Set(user_id),
        password_hash: Set(password_hash),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
    .map(drop)
}

/// Deletes the account; sessions and everything else it owns go with it through `ON DELETE CASCADE`.
pub async fn delete(db: &impl ConnectionTrait, user_id: i64) -> Result<u64, DbErr> {
    Ok(user::Entity::delete_by_id(user_id).exec(db).await?.rows_affected)
}

/// Replaces the calendar-feed URL: the old one stops working.
pub async fn bump_calendar_feed_version(db: &impl ConnectionTrait, user: user::Model) -> Result<user::Model, DbErr> {
    let version = user.calendar_feed_version.wrapping_add(1);
    let mut active: user::ActiveModel = user.into();
    active.calendar_feed_version = Set(version);
    active.update(db).await
}

pub async fn find_by_email(db: &impl ConnectionTrait, email: &str) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::EmailNormalized.eq(email.trim().to_lowercase()))
        .one(db)
        .await
}

pub async fn mark_email_verified(db: &impl ConnectionTrait, user_id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    user::ActiveModel {
        id: Set(user_id),
        email_verified_at: Set(Some(now)),
        updated_at: Set(now),
        ..Default::default()
    }
    .update(db)
    .await
    .map(drop)
}

/// Verified accounts that asked for a daily digest.
pub async fn digest_candidates(db: &impl ConnectionTrait) -> Result<Vec<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::DigestTime.is_not_null())
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .all(db)
        .await
}
