//! Connecting to the database (SQLite by default, PostgreSQL when `DATABASE_URL` says so) and migrating it.

use std::str::FromStr as _;
use std::time::Duration;

use anyhow::Context as _;
use migration::MigratorTrait as _;
use sea_orm::sqlx::postgres::PgPoolOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sea_orm::{DatabaseConnection, SqlxPostgresConnector, SqlxSqliteConnector};

use crate::config::Config;

/// Pool size on PostgreSQL unless `DATABASE_MAX_CONNECTIONS` says otherwise.
const POSTGRES_CONNECTIONS: u32 = 16;
/// Pool size on SQLite unless `DATABASE_MAX_CONNECTIONS` says otherwise.
const SQLITE_CONNECTIONS: u32 = 8;

/// Rows a SQLite connection's thread may hand over before the caller takes them (sqlx's default is 50).
const ROW_BUFFER: usize = crate::repo::pagination::MAX_LIMIT as usize + 1;

/// Opens the connection pool.
///
/// SQLite gets WAL (readers never wait for the writer), foreign keys on (cascading deletes depend on them) and a busy
/// timeout (writers queue instead of failing).
///
/// # Errors
/// When the database cannot be reached or opened.
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let url = config.database_url.expose();
    if config.is_postgres() {
        let pool = PgPoolOptions::new()
            .max_connections(config.database_max_connections.unwrap_or(POSTGRES_CONNECTIONS))
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .context("connecting to PostgreSQL")?;
        return Ok(SqlxPostgresConnector::from_sqlx_postgres_pool(pool));
    }
    let options = SqliteConnectOptions::from_str(url)
        .context("parsing the SQLite DATABASE_URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        // A whole page (at most 200 rows, plus one to see whether there is more) crosses from the connection's
        // thread without the thread stopping to wait for the request to take rows off the channel.
        .row_buffer_size(ROW_BUFFER);
    if let Some(parent) = options.get_filename().parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(config.database_max_connections.unwrap_or(SQLITE_CONNECTIONS))
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("opening the SQLite database")?;
    Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
}

/// Applies pending migrations: the app's tables, then the job queue's.
///
/// # Errors
/// When a migration fails.
pub async fn migrate(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    migration::Migrator::up(db, None).await.context("applying migrations")?;
    let indexed = crate::repo::birthdays::index_missing_reminders(db)
        .await
        .context("indexing birthday reminders")?;
    if indexed > 0 {
        tracing::info!(birthdays = indexed, "indexed the reminders of existing birthdays");
    }
    crate::jobs::queue::setup(db, config).await
}
