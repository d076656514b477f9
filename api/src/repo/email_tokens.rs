//! Queries on `email_tokens`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait as _, PaginatorTrait as _, QueryFilter as _, TransactionTrait as _,
};

use crate::entity::{email_token, user};

pub const VERIFY_EMAIL: &str = "verify_email";
pub const PASSWORD_RESET: &str = "password_reset";

/// A token to store.
pub struct NewToken<'a> {
    pub user_id: i64,
    pub purpose: &'a str,
    pub token_hash: String,
    pub email: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// Stores a token unless the user already has `max` of this purpose since `since`; `None` then.
///
/// The user's row is locked first (a write that changes nothing), so concurrent requests, in this process or
/// another, are counted one after the other.
pub async fn insert_within_limit(
    db: &DatabaseConnection,
    new: NewToken<'_>,
    max: u64,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<email_token::Model>, DbErr> {
    let txn = db.begin().await?;
    user::Entity::update_many()
        .col_expr(user::Column::UpdatedAt, Expr::col(user::Column::UpdatedAt))
        .filter(user::Column::Id.eq(new.user_id))
        .exec(&txn)
        .await?;
    let sent = email_token::Entity::find()
        .filter(email_token::Column::UserId.eq(new.user_id))
        .filter(email_token::Column::Purpose.eq(new.purpose))
        .filter(email_token::Column::CreatedAt.gt(since))
        .count(&txn)
        .await?;
    if sent >= max {
        return Ok(None);
    }
    let row = email_token::ActiveModel {
        user_id: Set(new.user_id),
        purpose: Set(new.purpose.to_owned()),
        token_hash: Set(new.token_hash),
        email: Set(new.email.to_lowercase()),
        expires_at: Set(new.expires_at),
        used_at: Set(None),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(Some(row))
}

/// Spends a token: marks it used if it is of the purpose, unused and unexpired, and returns it; `None` otherwise.
/// The conditional update makes a token single-use even when two requests present it at once.
pub async fn consume(
    db: &impl ConnectionTrait,
    purpose: &str,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<email_token::Model>, DbErr> {
    let updated = email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::val(now))
        .filter(email_token::Column::TokenHash.eq(token_hash))
        .filter(email_token::Column::Purpose.eq(purpose))
        .filter(email_token::Column::UsedAt.is_null())
        .filter(email_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if updated.rows_affected != 1 {
        return Ok(None);
    }
    email_token::Entity::find()
        .filter(email_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

/// Spends every unused token of a purpose for a user, once one of them has done its job.
pub async fn void_unused(
    db: &impl ConnectionTrait,
    user_id: i64,
    purpose: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::val(now))
        .filter(email_token::Column::UserId.eq(user_id))
        .filter(email_token::Column::Purpose.eq(purpose))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(db)
        .await
        .map(drop)
}
