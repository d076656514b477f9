//! The `notifications` table: the outbox. One row per message the planner means to send, with a unique key per
//! subject and occurrence, so no sweep, however often or in however many processes it runs, records one twice.

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
                    .table(Notifications::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Notifications::Id))
                    .col(big_integer(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 32))
                    // Such as `birthday_greeting:42:2027-03-01`: what is sent, about what, for which occurrence.
                    .col(string_len_uniq(Notifications::DedupeKey, 200))
                    .col(big_integer(Notifications::SubjectId))
                    .col(timestamp_with_time_zone(Notifications::DueAt))
                    .col(string_len(Notifications::Recipient, 254))
                    .col(string_len_null(Notifications::FromName, 100))
                    .col(string_len_null(Notifications::ReplyTo, 254))
                    .col(string_len(Notifications::Subject, 300))
                    .col(text(Notifications::BodyText))
                    .col(text(Notifications::BodyHtml))
                    .col(string_len(Notifications::Status, 16))
                    .col(integer(Notifications::Attempts))
                    .col(timestamp_with_time_zone(Notifications::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(Notifications::ClaimedAt))
                    .col(timestamp_with_time_zone_null(Notifications::SentAt))
                    .col(text_null(Notifications::LastError))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Notifications::Table, Notifications::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_status_next_attempt")
                    .table(Notifications::Table)
                    .col(Notifications::Status)
                    .col(Notifications::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_notifications_user_due")
                    .table(Notifications::Table)
                    .col(Notifications::UserId)
                    .col(Notifications::DueAt)
                    .col(Notifications::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Notifications::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    UserId,
    Kind,
    DedupeKey,
    SubjectId,
    DueAt,
    Recipient,
    FromName,
    ReplyTo,
    Subject,
    BodyText,
    BodyHtml,
    Status,
    Attempts,
    NextAttemptAt,
    ClaimedAt,
    SentAt,
    LastError,
    CreatedAt,
}
