//! Queries on `sessions` and `refresh_tokens`.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait as _, ActiveValue::Set, ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _,
    QueryFilter as _, QueryOrder as _,
};

use crate::entity::{refresh_token, session};

/// Where a login came from, shown to the user in their session list.
pub struct SessionOrigin {
    pub user_agent: Option<String>,
    pub ip: Option<String>,
}

pub async fn insert_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    origin: SessionOrigin,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<session::Model, DbErr> {
    session::ActiveModel {
        user_id: Set(user_id),
        created_at: Set(now),
        last_used_at: Set(now),
        expires_at: Set(expires_at),
        user_agent: Set(origin.user_agent),
        ip: Set(origin.ip),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
}

pub async fn insert_refresh_token(
    db: &impl ConnectionTrait,
    session_id: i64,
    token_hash: String,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    refresh_token::ActiveModel {
        session_id: Set(session_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        rotated_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await
    .map(drop)
}

/// Marks a token as exchanged, if nobody else did first; `true` when this call won.
///
/// Being the first statement of the refresh transaction, this write also takes SQLite's write lock up front.
pub async fn claim_refresh_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RotatedAt, Expr::val(now))
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .filter(refresh_token::Column::RotatedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

pub async fn find_refresh_token(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<refresh_token::Model>, DbErr> {
    refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash))
        .one(db)
        .await
}

pub async fn find_session(db: &impl ConnectionTrait, session_id: i64) -> Result<Option<session::Model>, DbErr> {
    session::Entity::find_by_id(session_id).one(db).await
}

pub async fn touch_session(db: &impl ConnectionTrait, session_id: i64, now: DateTime<Utc>) -> Result<(), DbErr> {
    session::Entity::update_many()
        .col_expr(session::Column::LastUsedAt, Expr::val(now))
        .filter(session::Column::Id.eq(session_id))
        .exec(db)
        .await
        .map(drop)
}

/// Ends one session of a user; `false` when the user has no such live session.
pub async fn revoke_session(
    db: &impl ConnectionTrait,
    user_id: i64,
    session_id: i64,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::val(now))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Ends every live session of a user except `keep`.
pub async fn revoke_other_sessions(
    db: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<i64>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let mut query = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::val(now))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        query = query.filter(session::Column::Id.ne(keep));
    }
    Ok(query.exec(db).await?.rows_affected)
}

/// The user's sessions that can still be refreshed, most recently used first.
pub async fn list_live_sessions(
    db: &impl ConnectionTrait,
    user_id: i64,
    now: DateTime<Utc>,
    idle_timeout: chrono::Duration,
) -> Result<Vec<session::Model>, DbErr> {
    session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null())
        .filter(session::Column::ExpiresAt.gt(now))
        .filter(session::Column::LastUsedAt.gt(now - idle_timeout))
        .order_by_desc(session::Column::LastUsedAt)
        .order_by_desc(session::Column::Id)
        .all(db)
        .await
}
