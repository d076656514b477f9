//! The `birthday_reminders` table: the calendar days a birthday's reminders can fall on, for the sweep's index.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "birthday_reminders")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub birthday_id: i64,
    pub month: i16,
    pub day: i16,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::birthday::Entity",
        from = "Column::BirthdayId",
        to = "super::birthday::Column::Id",
        on_delete = "Cascade"
    )]
    Birthday,
}

impl Related<super::birthday::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Birthday.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
