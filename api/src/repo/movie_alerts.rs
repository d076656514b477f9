//! Queries on `movie_alerts`, always scoped by the owner.

use sea_orm::{
    ColumnTrait as _, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use super::pagination::Cursor;
use crate::entity::movie_alert;

pub fn cursor_of(alert: &movie_alert::Model) -> Cursor {
    Cursor {
        sort: "id".to_owned(),
        key: serde_json::Value::Null,
        id: alert.id,
    }
}

/// One page in the order the alerts were created, plus one row more when there is a next page.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<movie_alert::Model>, DbErr> {
    let mut query = movie_alert::Entity::find().filter(movie_alert::Column::UserId.eq(user_id));
    if let Some(cursor) = cursor {
        query = query.filter(movie_alert::Column::Id.gt(cursor.id));
    }
    query
        .order_by_asc(movie_alert::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await
}

pub async fn all_for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<movie_alert::Model>, DbErr> {
    movie_alert::Entity::find()
        .filter(movie_alert::Column::UserId.eq(user_id))
        .order_by_asc(movie_alert::Column::Id)
        .all(db)
        .await
}

/// The user's alert for a movie, if they already track it.
pub async fn find_by_tmdb_id(
    db: &impl ConnectionTrait,
    user_id: i64,
    tmdb_id: i64,
) -> Result<Option<movie_alert::Model>, DbErr> {
    movie_alert::Entity::find()
        .filter(movie_alert::Column::UserId.eq(user_id))
        .filter(movie_alert::Column::TmdbId.eq(tmdb_id))
        .one(db)
        .await
}

/// Alerts with a release date between two dates, with their verified owners.
pub async fn release_candidates(
    db: &impl ConnectionTrait,
    from: chrono::NaiveDate,
    to: chrono::NaiveDate,
) -> Result<Vec<(movie_alert::Model, crate::entity::user::Model)>, DbErr> {
    use crate::entity::user;
    let in_window = |column: movie_alert::Column| sea_orm::Condition::all().add(column.gte(from)).add(column.lte(to));
    let rows = movie_alert::Entity::find()
        .find_also_related(user::Entity)
        .filter(
            sea_orm::Condition::any()
                .add(in_window(movie_alert::Column::TheatricalDate))
                .add(in_window(movie_alert::Column::DigitalDate))
                .add(in_window(movie_alert::Column::PhysicalDate)),
        )
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(a, u)| Some((a, u?))).collect())
}

/// Movies whose dates were last read before `stale_before`, at most `limit` of them.
pub async fn stale_movies(
    db: &impl ConnectionTrait,
    stale_before: chrono::DateTime<chrono::Utc>,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    movie_alert::Entity::find()
        .select_only()
        .column(movie_alert::Column::TmdbId)
        .distinct()
        .filter(movie_alert::Column::CheckedAt.lt(stale_before))
        .order_by_asc(movie_alert::Column::TmdbId)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await
}

/// Takes a movie for refreshing: marks its alerts checked now, if no other worker did since `stale_before`.
/// `true` when this caller won and should ask TMDB.
pub async fn claim_refresh(
    db: &impl ConnectionTrait,
    tmdb_id: i64,
    stale_before: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool, DbErr> {
    let result = movie_alert::Entity::update_many()
        .col_expr(movie_alert::Column::CheckedAt, sea_orm::sea_query::Expr::val(now))
        .filter(movie_alert::Column::TmdbId.eq(tmdb_id))
        .filter(movie_alert::Column::CheckedAt.lt(stale_before))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

/// Gives a claim back after TMDB failed: the movie's alerts count as checked at `checked_at`, so that the movie is
/// tried again once that is a day old, sooner than a whole day after the failed try.
pub async fn retry_refresh(
    db: &impl ConnectionTrait,
    tmdb_id: i64,
    checked_at: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    movie_alert::Entity::update_many()
        .col_expr(
            movie_alert::Column::CheckedAt,
            sea_orm::sea_query::Expr::val(checked_at),
        )
        .filter(movie_alert::Column::TmdbId.eq(tmdb_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every alert for a movie, with its owner.
pub async fn for_movie(
    db: &impl ConnectionTrait,
    tmdb_id: i64,
) -> Result<Vec<(movie_alert::Model, crate::entity::user::Model)>, DbErr> {
    let rows = movie_alert::Entity::find()
        .find_also_related(crate::entity::user::Entity)
        .filter(movie_alert::Column::TmdbId.eq(tmdb_id))
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(a, u)| Some((a, u?))).collect())
}

/// Records that the owner was told about a release.
pub async fn mark_notified(
    db: &impl ConnectionTrait,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), DbErr> {
    movie_alert::Entity::update_many()
        .col_expr(
            movie_alert::Column::NotifiedAt,
            sea_orm::sea_query::Expr::val(Some(now)),
        )
        .filter(movie_alert::Column::Id.eq(id))
        .exec(db)
        .await
        .map(drop)
}
