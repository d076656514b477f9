//! Queries on `birthdays`, always scoped by the owner.

use sea_orm::sea_query::Query;
use sea_orm::{
    ActiveValue::Set, ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, QueryFilter as _,
    QueryOrder as _, QuerySelect as _, SelectTwo,
};

use super::pagination::Cursor;
use crate::domain::birthday::{BirthDate, LeapDayRule, reminder_calendar_days};
use crate::entity::{birthday, birthday_reminder, user};

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
    let rows = greeting_query(days).all(db).await?;
    Ok(rows.into_iter().filter_map(|(b, u)| Some((b, u?))).collect())
}

/// The query of [`greeting_candidates`] (the benchmark shows its plan).
pub fn greeting_query(days: &[(i16, i16)]) -> SelectTwo<birthday::Entity, user::Entity> {
    let mut on_days = Condition::any();
    for (month, day) in days {
        on_days = on_days.add(
            Condition::all()
                .add(birthday::Column::Month.eq(*month))
                .add(birthday::Column::Day.eq(*day)),
        );
    }
    birthday::Entity::find()
        .find_also_related(user::Entity)
        .filter(on_days)
        .filter(birthday::Column::SendGreeting.eq(true))
        .filter(birthday::Column::Email.is_not_null())
        .filter(user::Column::EmailVerifiedAt.is_not_null())
}

/// Birthdays with a reminder that may fall on one of `days` (month, day), with their verified owners. Found through
/// `birthday_reminders`' index; the caller works out the exact moment.
pub async fn reminder_candidates(
    db: &impl ConnectionTrait,
    days: &[(i16, i16)],
) -> Result<Vec<(birthday::Model, user::Model)>, DbErr> {
    let rows = reminder_query(days).all(db).await?;
    Ok(rows.into_iter().filter_map(|(b, u)| Some((b, u?))).collect())
}

/// The query of [`reminder_candidates`] (the benchmark shows its plan).
pub fn reminder_query(days: &[(i16, i16)]) -> SelectTwo<birthday::Entity, user::Entity> {
    let mut on_days = Condition::any();
    for (month, day) in days {
        on_days = on_days.add(
            Condition::all()
                .add(birthday_reminder::Column::Month.eq(*month))
                .add(birthday_reminder::Column::Day.eq(*day)),
        );
    }
    let reminded = Query::select()
        .column(birthday_reminder::Column::BirthdayId)
        .from(birthday_reminder::Entity)
        .cond_where(on_days)
        .to_owned();
    birthday::Entity::find()
        .find_also_related(user::Entity)
        .filter(birthday::Column::Id.in_subquery(reminded))
        .filter(user::Column::EmailVerifiedAt.is_not_null())
}

/// Rewrites the calendar days a birthday's reminders can fall on (after it is created or changed).
pub async fn index_reminders(db: &impl ConnectionTrait, birthday: &birthday::Model) -> Result<(), DbErr> {
    birthday_reminder::Entity::delete_many()
        .filter(birthday_reminder::Column::BirthdayId.eq(birthday.id))
        .exec(db)
        .await?;
    let date = BirthDate {
        month: u32::try_from(birthday.month).unwrap_or(1),
        day: u32::try_from(birthday.day).unwrap_or(1),
        year: birthday.year,
    };
    let rule = LeapDayRule::parse(&birthday.leap_day_rule).unwrap_or_default();
    let before: Vec<u16> = serde_json::from_str(&birthday.remind_me_days_before).unwrap_or_default();
    let rows: Vec<birthday_reminder::ActiveModel> = reminder_calendar_days(&date, rule, &before)
        .into_iter()
        .map(|(month, day)| birthday_reminder::ActiveModel {
            birthday_id: Set(birthday.id),
            month: Set(i16::try_from(month).unwrap_or(1)),
            day: Set(i16::try_from(day).unwrap_or(1)),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        birthday_reminder::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await?;
    }
    Ok(())
}

/// Indexes the reminders of birthdays saved before the index existed; returns how many it indexed.
pub async fn index_missing_reminders(db: &impl ConnectionTrait) -> Result<usize, DbErr> {
    let mut indexed = 0;
    loop {
        let indexed_ids = Query::select()
            .column(birthday_reminder::Column::BirthdayId)
            .from(birthday_reminder::Entity)
            .to_owned();
        let batch = birthday::Entity::find()
            .filter(birthday::Column::RemindMeDaysBefore.ne("[]"))
            .filter(birthday::Column::Id.not_in_subquery(indexed_ids))
            .limit(500)
            .all(db)
            .await?;
        if batch.is_empty() {
            return Ok(indexed);
        }
        for birthday in &batch {
            index_reminders(db, birthday).await?;
        }
        indexed += batch.len();
    }
}
