//! Queries on `login_attempts`: the password attempts per account, shared by every API process.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, OnConflict};
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait as _};

use crate::entity::login_attempt;

/// Counts one attempt before the password is checked (a new window starts when the previous one has ended) and
/// returns the attempts in the current window and when it started. Counting first means that parallel attempts
/// cannot all slip past the limit; a successful attempt clears the count.
pub async fn count_attempt(
    db: &impl ConnectionTrait,
    account_key: &str,
    window: chrono::Duration,
    now: DateTime<Utc>,
) -> Result<(u32, DateTime<Utc>), DbErr> {
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
    .await?;
    let row = login_attempt::Entity::find_by_id(account_key.to_owned())
        .one(db)
        .await?;
    Ok(row.map_or((1, now), |r| {
        (u32::try_from(r.failures).unwrap_or(u32::MAX), r.window_started_at)
    }))
}

pub async fn clear(db: &impl ConnectionTrait, account_key: &str) -> Result<(), DbErr> {
    login_attempt::Entity::delete_by_id(account_key.to_owned())
        .exec(db)
        .await
        .map(drop)
}
