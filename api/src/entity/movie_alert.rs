//! The `movie_alerts` table.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "movie_alerts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub tmdb_id: i64,
    pub title: String,
    pub original_title: String,
    pub poster_url: Option<String>,
    pub region: String,
    /// A JSON array of the tracked release types.
    pub release_types: String,
    pub notify_days_before: Option<i32>,
    pub theatrical_date: Option<Date>,
    pub digital_date: Option<Date>,
    pub physical_date: Option<Date>,
    pub notified_at: Option<DateTimeUtc>,
    /// When the release dates were last read from TMDB.
    pub checked_at: DateTimeUtc,
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
