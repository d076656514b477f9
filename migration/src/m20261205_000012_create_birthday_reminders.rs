//! The `birthday_reminders` table: for each birthday and each of its `remind_me_days_before`, the calendar days
//! (month, day) the reminder can fall on, indexed, so the sweep finds the day's reminders without reading every
//! birthday. A reminder's day depends on the year (29 February, and leap years in between), so each is stored for
//! every kind of year; the sweep still computes the exact moment.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BirthdayReminders::Table)
                    .if_not_exists()
                    .col(big_pk_auto(BirthdayReminders::Id))
                    .col(big_integer(BirthdayReminders::BirthdayId))
                    .col(small_integer(BirthdayReminders::Month))
                    .col(small_integer(BirthdayReminders::Day))
                    .foreign_key(
                        ForeignKey::create()
                            .from(BirthdayReminders::Table, BirthdayReminders::BirthdayId)
                            .to(Birthdays::Table, Birthdays::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_birthday_reminders_month_day")
                    .table(BirthdayReminders::Table)
                    .col(BirthdayReminders::Month)
                    .col(BirthdayReminders::Day)
                    .col(BirthdayReminders::BirthdayId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_birthday_reminders_birthday")
                    .table(BirthdayReminders::Table)
                    .col(BirthdayReminders::BirthdayId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(BirthdayReminders::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum BirthdayReminders {
    Table,
    Id,
    BirthdayId,
    Month,
    Day,
}

#[derive(DeriveIden)]
enum Birthdays {
    Table,
    Id,
}
