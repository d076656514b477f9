//! An index on `birthdays (month, day)`: the sweep finds the day's greetings through it, at a cost that follows
//! the number due, not the number stored.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_birthdays_month_day")
                    .table(Birthdays::Table)
                    .col(Birthdays::Month)
                    .col(Birthdays::Day)
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_birthdays_month_day")
                    .table(Birthdays::Table)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Birthdays {
    Table,
    Month,
    Day,
}
