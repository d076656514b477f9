//! The `birthdays` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "birthdays")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub name: String,
    pub month: i16,
    pub day: i16,
    pub year: Option<i32>,
    pub email: Option<String>,
    pub send_greeting: bool,
    pub subject_template: String,
    pub message_template: String,
    /// The person's IANA time zone; `None` means the owner's.
    pub timezone: Option<String>,
    /// A JSON array of day counts, such as `[7,1,0]`.
    pub remind_me_days_before: String,
    pub leap_day_rule: String,
    pub notes: String,
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
