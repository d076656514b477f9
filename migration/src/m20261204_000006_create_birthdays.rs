//! The `birthdays` table: people, their day, greeting templates and reminder settings.

use sea_orm_migration::{prelude::*, schema::*};

use crate::m20261204_000001_create_users::Users;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Birthdays::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Birthdays::Id))
                    .col(big_integer(Birthdays::UserId))
                    .col(string_len(Birthdays::Name, 100))
                    .col(small_integer(Birthdays::Month))
                    .col(small_integer(Birthdays::Day))
                    .col(integer_null(Birthdays::Year))
                    .col(string_len_null(Birthdays::Email, 254))
                    .col(boolean(Birthdays::SendGreeting))
                    .col(string_len(Birthdays::SubjectTemplate, 200))
                    .col(text(Birthdays::MessageTemplate))
                    .col(string_len_null(Birthdays::Timezone, 64))
                    .col(text(Birthdays::RemindMeDaysBefore))
                    .col(string_len(Birthdays::LeapDayRule, 5))
                    .col(text(Birthdays::Notes))
                    .col(timestamp_with_time_zone(Birthdays::CreatedAt))
                    .col(timestamp_with_time_zone(Birthdays::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Birthdays::Table, Birthdays::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Per-user listing in calendar order; the due-today sweep gets its own index with the jobs.
        manager
            .create_index(
                Index::create()
                    .name("idx_birthdays_user_date")
                    .table(Birthdays::Table)
                    .col(Birthdays::UserId)
                    .col(Birthdays::Month)
                    .col(Birthdays::Day)
                    .col(Birthdays::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Birthdays::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Birthdays {
    Table,
    Id,
    UserId,
    Name,
    Month,
    Day,
    Year,
    Email,
    SendGreeting,
    SubjectTemplate,
    MessageTemplate,
    Timezone,
    RemindMeDaysBefore,
    LeapDayRule,
    Notes,
    CreatedAt,
    UpdatedAt,
}
