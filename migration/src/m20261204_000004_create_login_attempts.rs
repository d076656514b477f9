//! The `login_attempts` table: failed logins per account within the current window, shared by every API process.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(LoginAttempts::Table)
                    .if_not_exists()
                    .col(string_len(LoginAttempts::AccountKey, 300).primary_key())
                    .col(integer(LoginAttempts::Failures))
                    .col(timestamp_with_time_zone(LoginAttempts::WindowStartedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(LoginAttempts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    AccountKey,
    Failures,
    WindowStartedAt,
}
