//! Queries on `tasks`, always scoped by the owner.

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait as _, LikeExpr};
use sea_orm::{
    ColumnTrait as _, Condition, ConnectionTrait, DbErr, EntityTrait as _, Order, QueryFilter as _, QueryOrder as _,
    QuerySelect as _,
};

use super::pagination::Cursor;
use crate::entity::task;

/// The orderings a task list offers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TaskSort {
    DueDate,
    Priority,
    CreatedAt,
}

impl TaskSort {
    pub fn name(self) -> &'static str {
        match self {
            Self::DueDate => "due_date",
            Self::Priority => "priority",
            Self::CreatedAt => "created_at",
        }
    }
}

/// Which tasks a list shows.
#[derive(Debug, Default)]
pub struct TaskFilter {
    /// `Some(false)` open only, `Some(true)` done only, `None` both.
    pub completed: Option<bool>,
    pub due_on_or_before: Option<NaiveDate>,
    pub due_on_or_after: Option<NaiveDate>,
    /// Open tasks due before this local date, or on it before this local `HH:MM`.
    pub overdue_at: Option<(NaiveDate, String)>,
    pub priority: Option<i16>,
    pub label: Option<String>,
    pub search: Option<String>,
}

/// Escapes `%`, `_` and the escape character itself for a LIKE pattern.
fn like_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn filter_condition(user_id: i64, filter: &TaskFilter) -> Condition {
    let mut condition = Condition::all().add(task::Column::UserId.eq(user_id));
    if let Some(completed) = filter.completed {
        condition = condition.add(task::Column::Completed.eq(completed));
    }
    if let Some(date) = filter.due_on_or_before {
        condition = condition.add(task::Column::DueDate.lte(date));
    }
    if let Some(date) = filter.due_on_or_after {
        condition = condition.add(task::Column::DueDate.gte(date));
    }
    if let Some((today, time)) = &filter.overdue_at {
        condition = condition.add(task::Column::Completed.eq(false)).add(
            Condition::any().add(task::Column::DueDate.lt(*today)).add(
                Condition::all()
                    .add(task::Column::DueDate.eq(*today))
                    .add(task::Column::DueTime.is_not_null())
                    .add(task::Column::DueTime.lt(time.clone())),
            ),
        );
    }
    if let Some(priority) = filter.priority {
        condition = condition.add(task::Column::Priority.eq(priority));
    }
    if let Some(label) = &filter.label {
        // Labels are stored as a JSON array of strings without quotes or backslashes, so the quoted label is exact.
        let pattern = format!("%\"{}\"%", like_escape(label));
        condition = condition.add(Expr::col(task::Column::Labels).like(LikeExpr::new(pattern).escape('\\')));
    }
    if let Some(search) = &filter.search {
        let pattern = format!("%{}%", like_escape(&search.to_lowercase()));
        condition = condition.add(Expr::col(task::Column::SearchText).like(LikeExpr::new(pattern).escape('\\')));
    }
    condition
}

/// The position of a task in an ordering, for its cursor.
pub fn cursor_of(task: &task::Model, sort: TaskSort) -> Cursor {
    let key = match sort {
        TaskSort::DueDate => task
            .due_date
            .map_or(serde_json::Value::Null, |d| serde_json::json!(d.to_string())),
        TaskSort::Priority => serde_json::json!(task.priority),
        TaskSort::CreatedAt => serde_json::json!(task.created_at.to_rfc3339()),
    };
    Cursor {
        sort: sort.name().to_owned(),
        key,
        id: task.id,
    }
}

/// The condition for "after the cursor" in an ordering. Tasks without a due date come last in both directions.
fn after_cursor(sort: TaskSort, descending: bool, cursor: &Cursor) -> Option<Condition> {
    let id_after = if descending {
        task::Column::Id.lt(cursor.id)
    } else {
        task::Column::Id.gt(cursor.id)
    };
    macro_rules! keyset {
        ($column:expr, $value:expr) => {{
            let value = $value;
            let beyond = if descending {
                $column.lt(value.clone())
            } else {
                $column.gt(value.clone())
            };
            Condition::any()
                .add(beyond)
                .add(Condition::all().add($column.eq(value)).add(id_after.clone()))
        }};
    }
    Some(match sort {
        TaskSort::DueDate => match cursor.key.as_str() {
            None => Condition::all().add(task::Column::DueDate.is_null()).add(id_after),
            Some(raw) => {
                let date: NaiveDate = raw.parse().ok().filter(|d| crate::domain::check_date(*d).is_ok())?;
                keyset!(task::Column::DueDate, date).add(task::Column::DueDate.is_null())
            }
        },
        TaskSort::Priority => keyset!(task::Column::Priority, i16::try_from(cursor.key.as_i64()?).ok()?),
        TaskSort::CreatedAt => {
            let at: DateTime<Utc> = cursor
                .key
                .as_str()?
                .parse()
                .ok()
                .filter(|at: &DateTime<Utc>| crate::domain::check_date(at.date_naive()).is_ok())?;
            keyset!(task::Column::CreatedAt, at)
        }
    })
}

/// One page of a user's tasks, plus one row more when there is a next page.
///
/// # Errors
/// Database failures. A cursor whose key does not parse is treated as the start.
pub async fn list(
    db: &impl ConnectionTrait,
    user_id: i64,
    filter: &TaskFilter,
    sort: TaskSort,
    descending: bool,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<Vec<task::Model>, DbErr> {
    let mut condition = filter_condition(user_id, filter);
    if let Some(after) = cursor.and_then(|c| after_cursor(sort, descending, c)) {
        condition = condition.add(after);
    }
    let order = if descending { Order::Desc } else { Order::Asc };
    let mut query = task::Entity::find().filter(condition);
    query = match sort {
        TaskSort::DueDate => query
            .order_by(Expr::col(task::Column::DueDate).is_null(), Order::Asc)
            .order_by(task::Column::DueDate, order.clone()),
        TaskSort::Priority => query.order_by(task::Column::Priority, order.clone()),
        TaskSort::CreatedAt => query.order_by(task::Column::CreatedAt, order.clone()),
    };
    query.order_by(task::Column::Id, order).limit(limit + 1).all(db).await
}

/// A user's tasks due in a date window, for the agenda and calendar feed.
pub async fn due_between(
    db: &impl ConnectionTrait,
    user_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<task::Model>, DbErr> {
    task::Entity::find()
        .filter(task::Column::UserId.eq(user_id))
        .filter(task::Column::DueDate.gte(from))
        .filter(task::Column::DueDate.lte(to))
        .order_by_asc(task::Column::DueDate)
        .order_by_asc(task::Column::Id)
        .all(db)
        .await
}

/// All of a user's tasks, for the export and the calendar feed.
pub async fn all_for_user(db: &impl ConnectionTrait, user_id: i64) -> Result<Vec<task::Model>, DbErr> {
    task::Entity::find()
        .filter(task::Column::UserId.eq(user_id))
        .order_by_asc(task::Column::Id)
        .all(db)
        .await
}

/// Open tasks with a reminder, due between two dates, with their verified owners.
pub async fn reminder_candidates(
    db: &impl ConnectionTrait,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<(task::Model, crate::entity::user::Model)>, DbErr> {
    use crate::entity::user;
    let rows = task::Entity::find()
        .find_also_related(user::Entity)
        .filter(task::Column::RemindBeforeMinutes.is_not_null())
        .filter(task::Column::Completed.eq(false))
        .filter(task::Column::DueDate.gte(from))
        .filter(task::Column::DueDate.lte(to))
        .filter(user::Column::EmailVerifiedAt.is_not_null())
        .all(db)
        .await?;
    Ok(rows.into_iter().filter_map(|(t, u)| Some((t, u?))).collect())
}
