//! The `movie_alerts` table: movies a user waits for, with their release dates per type in one region.

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
                    .table(MovieAlerts::Table)
                    .if_not_exists()
                    .col(big_pk_auto(MovieAlerts::Id))
                    .col(big_integer(MovieAlerts::UserId))
                    .col(big_integer(MovieAlerts::TmdbId))
                    .col(string_len(MovieAlerts::Title, 300))
                    .col(string_len(MovieAlerts::OriginalTitle, 300))
                    .col(string_len_null(MovieAlerts::PosterUrl, 500))
                    .col(string_len(MovieAlerts::Region, 2))
                    .col(text(MovieAlerts::ReleaseTypes))
                    .col(integer_null(MovieAlerts::NotifyDaysBefore))
                    .col(date_null(MovieAlerts::TheatricalDate))
                    .col(date_null(MovieAlerts::DigitalDate))
                    .col(date_null(MovieAlerts::PhysicalDate))
                    .col(timestamp_with_time_zone_null(MovieAlerts::NotifiedAt))
                    .col(timestamp_with_time_zone(MovieAlerts::CheckedAt))
                    .col(timestamp_with_time_zone(MovieAlerts::CreatedAt))
                    .col(timestamp_with_time_zone(MovieAlerts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MovieAlerts::Table, MovieAlerts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One alert per user and movie; the name carries `tmdb_id` so the API can name the field on a conflict.
        manager
            .create_index(
                Index::create()
                    .name("uniq_movie_alerts_user_tmdb_id")
                    .table(MovieAlerts::Table)
                    .col(MovieAlerts::UserId)
                    .col(MovieAlerts::TmdbId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_movie_alerts_tmdb_id")
                    .table(MovieAlerts::Table)
                    .col(MovieAlerts::TmdbId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MovieAlerts::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden)]
enum MovieAlerts {
    Table,
    Id,
    UserId,
    TmdbId,
    Title,
    OriginalTitle,
    PosterUrl,
    Region,
    ReleaseTypes,
    NotifyDaysBefore,
    TheatricalDate,
    DigitalDate,
    PhysicalDate,
    NotifiedAt,
    CheckedAt,
    CreatedAt,
    UpdatedAt,
}
