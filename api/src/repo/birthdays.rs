//! Queries on `birthdays`, always scoped by the owner.

use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _, QueryOrder as _,
    QuerySelect as _,
};

use super::pagination::Cursor;
use crate::entity::{birthday, user};

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

/// Birthdays with a greeting to send whose day is one of `days` (month, day), with their verified owners.
pub async fn greeting_candidates(
    db: &impl ConnectionTrait,
    days: &[(i16, i16)],
) -> Result<Vec<(birthday::Model, user::Model)>, DbErr> {
    let mut on_days = Condition::any();
    for (month, day) in days {
        on_days = on_days.add(
            Condition::all()
                .add(birthday::Column::Month.eq(*month))
                .add(birthday::Column::Day.eq(*day)),
        );
    }
    let rows = birthday::Entity::find()
        .find_also_related(user::Entity)
        .filter(on_days)
        .filter(birthday::Column::SendGreeting.eq(true))
        .filter(birthday::Column::Email.is_not_null())
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(b, u)| Some((b, u?))).collect())
}

/// Birthdays whose owners asked for reminders, with their verified owners.
pub async fn reminder_candidates(db: &impl ConnectionTrait) -> Result<Vec<(birthday::Model, user::Model)>, DbErr> {
    let rows = birthday::Entity::find()
        .find_also_related(user::Entity)
        .filter(birthday::Column::RemindMeDaysBefore.ne("[]"))
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(b, u)| Some((b, u?))).collect())
}
