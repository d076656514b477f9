//! Queries on `birthdays`, always scoped by the owner.

use sea_orm::{
    ActiveModelTrait as _, ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, IntoActiveModel as _,
    QueryFilter as _, QueryOrder as _, QuerySelect as _,
};

use super::pagination::Cursor;
use crate::entity::birthday;

/// The cursor key of a birthday in calendar order: `month * 100 + day`.
pub fn cursor_of(birthday: &birthday::Model) -> Cursor {
    Cursor {
        sort: "date".to_owned(),
        key: serde_json::json!(i64::from(birthday.month) * 100 + i64::from(birthday.day)),
        id: birthday.id,
    }
}

/// One page in calendar order (January first), plus one row more when there is a next page.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<birthday::Model>, DbErr> {
    let mut condition = Condition::all().add(birthday::Column::UserId.eq(user_id));
    if let Some((key, id)) = cursor.and_then(|c| Some((c.key.as_i64()?, c.id))) {
        let (month, day) = (
            i16::try_from(key / 100).unwrap_or(0),
            i16::try_from(key % 100).unwrap_or(0),
        );
        condition = condition.add(
            Condition::any()
                .add(birthday::Column::Month.gt(month))
                .add(
                    Condition::all()
                        .add(birthday::Column::Month.eq(month))
                        .add(birthday::Column::Day.gt(day)),
                )
                .add(
                    Condition::all()
                        .add(birthday::Column::Month.eq(month))
                        .add(birthday::Column::Day.eq(day))
                        .add(birthday::Column::Id.gt(id)),
                ),
        );
    }
    birthday::Entity::find()
        .filter(condition)
        .order_by_asc(birthday::Column::Month)
        .order_by_asc(birthday::Column::Day)
        .order_by_asc(birthday::Column::Id)
        .limit(limit + 1)
        .all(db)
        .await
}

/// Every birthday of a user, for upcoming lists, the agenda, the feed and the export.
pub async fn all_for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<birthday::Model>, DbErr> {
    birthday::Entity::find()
        .filter(birthday::Column::UserId.eq(user_id))
        .order_by_asc(birthday::Column::Month)
        .order_by_asc(birthday::Column::Day)
        .order_by_asc(birthday::Column::Id)
        .all(db)
        .await
}

pub async fn find(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<Option<birthday::Model>, DbErr> {
    birthday::Entity::find_by_id(id)
        .filter(birthday::Column::UserId.eq(user_id))
        .one(db)
        .await
}

pub async fn insert(db: &impl ConnectionTrait, model: birthday::Model) -> Result<birthday::Model, DbErr> {
    let mut active = model.into_active_model();
    active.id = sea_orm::ActiveValue::NotSet;
    active.insert(db).await
}

pub async fn update(db: &impl ConnectionTrait, model: birthday::Model) -> Result<birthday::Model, DbErr> {
    let id = model.id;
    let mut active = model.into_active_model().reset_all();
    active.id = sea_orm::ActiveValue::Unchanged(id);
    active.update(db).await
}

pub async fn delete(db: &impl ConnectionTrait, user_id: i64, id: i64) -> Result<bool, DbErr> {
    let result = birthday::Entity::delete_many()
        .filter(birthday::Column::Id.eq(id))
        .filter(birthday::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected == 1)
}
