//! The `tasks` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub title: String,
    pub description: String,
    /// Title and description in lower case, for search.
    pub search_text: String,
    pub due_date: Option<Date>,
    /// `HH:MM`, local to the owner's time zone.
    pub due_time: Option<String>,
    pub priority: i16,
    /// A JSON array of lower-case labels.
    pub labels: String,
    pub completed: bool,
    pub completed_at: Option<DateTimeUtc>,
    pub remind_before_minutes: Option<i32>,
    pub recurrence_frequency: Option<String>,
    pub recurrence_interval: Option<i32>,
    /// The day of the month a monthly or yearly task keeps to.
    pub recurrence_anchor_day: Option<i16>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl ActiveModelBehavior for ActiveModel {}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}
