//! The `login_attempts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_attempts")]
pub struct Model {
    /// `user:<id>` for a known account, `name:<lower-cased login>` otherwise, so unknown names are limited alike.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account_key: String,
    pub failures: i32,
    pub window_started_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
