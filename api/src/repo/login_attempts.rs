//! Queries on `login_attempts`: the failed-login count per account, shared by every API process.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait as _};

use crate::entity::login_attempt;

/// When the account is locked out, the time at which it opens again.
pub async fn locked_until(
    db: &impl ConnectionTrait,
    account_key: &str,
    max_failures: u32,
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    let Some(row) = login_attempt::Entity::find_by_id(account_key.to_owned())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let window_end = row.window_started_at + window;
    let failures = u32::try_from(row.failures).unwrap_or(0);
    Ok((window_end > now && failures >= max_failures).then_some(window_end))
}

/// Counts one failure: a new window starts when the previous one has ended.
pub async fn record_failure(
    db: &impl ConnectionTrait,
    account_key: &str,
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let window_start_cutoff = now - window;
    let expired = Expr::col((login_attempt::Entity, login_attempt::Column::WindowStartedAt)).lte(window_start_cutoff);
    let on_conflict = OnConflict::column(login_attempt::Column::AccountKey)
        .value(
            login_attempt::Column::Failures,
            Expr::case(expired.clone(), 1)
                .finally(Expr::col((login_attempt::Entity, login_attempt::Column::Failures)).add(1)),
        )
        .value(
            login_attempt::Column::WindowStartedAt,
            Expr::case(expired, Expr::val(now)).finally(Expr::col((
                login_attempt::Entity,
                login_attempt::Column::WindowStartedAt,
            ))),
        )
        .to_owned();
    login_attempt::Entity::insert(login_attempt::ActiveModel {
        account_key: Set(account_key.to_owned()),
        failures: Set(1),
        window_started_at: Set(now),
    })
    .on_conflict(on_conflict)
    .exec_without_returning(db)
    .await
    .map(drop)
}

pub async fn clear(db: &impl ConnectionTrait, account_key: &str) -> Result<(), DbErr> {
    login_attempt::Entity::delete_by_id(account_key.to_owned())
        .exec(db)
        .await
        .map(drop)
}
