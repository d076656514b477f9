//! The `users` table: accounts, their credentials and preferences.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .if_not_exists()
                    .col(big_pk_auto(Users::Id))
                    .col(string_len(Users::Username, 32))
                    // Lower-cased copies carry the uniqueness, so "Ann" and "ann" are one account on both databases.
                    .col(string_len_uniq(Users::UsernameNormalized, 32))
                    .col(string_len(Users::Email, 254))
                    .col(string_len_uniq(Users::EmailNormalized, 254))
                    .col(timestamp_with_time_zone_null(Users::EmailVerifiedAt))
                    .col(string_len(Users::DisplayName, 100))
                    .col(string(Users::PasswordHash))
                    .col(string_len(Users::Timezone, 64))
                    .col(string_len(Users::Region, 2))
                    .col(string_len(Users::Language, 35).default("en"))
                    // Bumped to replace the calendar-feed URL; the URL itself is derived, never stored.
                    .col(integer(Users::CalendarFeedVersion).default(0))
                    // What the planner may email the user about; greetings are set per birthday.
                    .col(boolean(Users::NotifyBirthdayReminders).default(true))
                    .col(boolean(Users::NotifyTaskReminders).default(true))
                    .col(boolean(Users::NotifyReleaseAlerts).default(true))
                    // `HH:MM` in the user's time zone for a daily digest; none when null.
                    .col(string_len_null(Users::DigestTime, 5))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Users::Table).to_owned()).await
    }
}

#[derive(DeriveIden)]
pub enum Users {
    Table,
    Id,
    Username,
    UsernameNormalized,
    Email,
    EmailNormalized,
    EmailVerifiedAt,
    DisplayName,
    PasswordHash,
    Timezone,
    Region,
    Language,
    CalendarFeedVersion,
    NotifyBirthdayReminders,
    NotifyTaskReminders,
    NotifyReleaseAlerts,
    DigestTime,
    CreatedAt,
    UpdatedAt,
}
