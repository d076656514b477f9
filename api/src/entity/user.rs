//! The `users` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub username: String,
    #[sea_orm(unique)]
    pub username_normalized: String,
    pub email: String,
    #[sea_orm(unique)]
    pub email_normalized: String,
    pub email_verified_at: Option<DateTimeUtc>,
    pub display_name: String,
    pub password_hash: String,
    pub timezone: String,
    pub region: String,
    /// BCP 47 language tag for movie titles and overviews.
    pub language: String,
    pub calendar_feed_version: i32,
    pub notify_birthday_reminders: bool,
    pub notify_task_reminders: bool,
    pub notify_release_alerts: bool,
    /// `HH:MM` local time of the daily digest; `None` when the user wants none.
    pub digest_time: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
