//! Database migrations for All-in-One Planner, one table per file (a later change to a table gets a file of its own),
//! run by `planner migrate` and at `planner serve` start.

pub use sea_orm_migration::prelude::*;

mod m20261204_000001_create_users;
mod m20261204_000002_create_sessions;
mod m20261204_000003_create_refresh_tokens;
mod m20261204_000004_create_login_attempts;
mod m20261204_000005_create_tasks;
mod m20261204_000006_create_birthdays;
mod m20261204_000007_create_movie_alerts;
mod m20261204_000008_create_email_tokens;
mod m20261204_000009_create_notifications;
mod m20261205_000010_add_notification_queued_at;
mod m20261205_000011_index_birthdays_by_day;
mod m20261205_000012_create_birthday_reminders;

/// The ordered list of every migration.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261204_000001_create_users::Migration),
            Box::new(m20261204_000002_create_sessions::Migration),
            Box::new(m20261204_000003_create_refresh_tokens::Migration),
            Box::new(m20261204_000004_create_login_attempts::Migration),
            Box::new(m20261204_000005_create_tasks::Migration),
            Box::new(m20261204_000006_create_birthdays::Migration),
            Box::new(m20261204_000007_create_movie_alerts::Migration),
            Box::new(m20261204_000008_create_email_tokens::Migration),
            Box::new(m20261204_000009_create_notifications::Migration),
            Box::new(m20261205_000010_add_notification_queued_at::Migration),
            Box::new(m20261205_000011_index_birthdays_by_day::Migration),
            Box::new(m20261205_000012_create_birthday_reminders::Migration),
        ]
    }
}
