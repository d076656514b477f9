//! The `tasks` table: to-dos with due dates, priorities, labels, reminders and recurrence.

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
                    .table(Tasks::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Tasks::Id))
                    .col(big_integer(Tasks::UserId))
                    .col(string_len(Tasks::Title, 200))
                    .col(text(Tasks::Description))
                    // Title and description folded to lower case by the application (Unicode-aware on both
                    // databases, which SQLite's lower() is not), for case-insensitive search.
                    .col(text(Tasks::SearchText))
                    .col(date_null(Tasks::DueDate))
                    .col(string_len_null(Tasks::DueTime, 5))
                    // 0 low, 1 normal, 2 high, 3 urgent: a number so that sorting by priority is sorting by urgency.
                    .col(small_integer(Tasks::Priority))
                    .col(text(Tasks::Labels))
                    .col(boolean(Tasks::Completed))
                    .col(timestamp_with_time_zone_null(Tasks::CompletedAt))
                    .col(integer_null(Tasks::RemindBeforeMinutes))
                    .col(string_len_null(Tasks::RecurrenceFrequency, 10))
                    .col(integer_null(Tasks::RecurrenceInterval))
                    .col(small_integer_null(Tasks::RecurrenceAnchorDay))
                    .col(timestamp_with_time_zone(Tasks::CreatedAt))
                    .col(timestamp_with_time_zone(Tasks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Tasks::Table, Tasks::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_tasks_user_due", Tasks::DueDate),
            ("idx_tasks_user_created", Tasks::CreatedAt),
            ("idx_tasks_user_priority", Tasks::Priority),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Tasks::Table)
                        .col(Tasks::UserId)
                        .col(column)
                        .col(Tasks::Id)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Tasks::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
enum Tasks {
    Table,
    Id,
    UserId,
    Title,
    Description,
    SearchText,
    DueDate,
    DueTime,
    Priority,
    Labels,
    Completed,
    CompletedAt,
    RemindBeforeMinutes,
    RecurrenceFrequency,
    RecurrenceInterval,
    RecurrenceAnchorDay,
    CreatedAt,
    UpdatedAt,
}
