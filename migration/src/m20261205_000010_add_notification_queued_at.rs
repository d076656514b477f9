//! `notifications.queued_at`: when a send job for the row was last put on the queue.
//!
//! The relay that feeds the queue from the outbox enqueues a ready row only when it is not already queued (or its
//! job has had a lease's time to run), so the queue holds about one job per row however many workers relay.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Notifications::Table)
                    .add_column(timestamp_with_time_zone_null(Notifications::QueuedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Notifications::Table)
                    .drop_column(Notifications::QueuedAt)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    QueuedAt,
}
