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
