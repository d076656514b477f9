//! The `planner` command line: `serve`, `worker`, `migrate` and `check`.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::clock::SystemClock;
use crate::config::Config;
use crate::startup::{Application, shutdown_signal};

/// All-in-One Planner: tasks, birthdays and movie alerts, with email delivery.
#[derive(Debug, Parser)]
#[command(name = "planner", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (applies pending migrations first), with the background worker unless told otherwise.
    Serve {
        /// Leave greetings, reminders and alerts to separate `planner worker` processes.
        #[arg(long)]
        no_worker: bool,
    },
    /// Run only the background worker: the sweep that finds due deliveries, and sending them.
    Worker,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Check the database and every configured external service; exits non-zero if one fails.
    Check,
}

/// Runs a parsed command with a loaded configuration.
pub async fn run(cli: Cli, config: Config) -> ExitCode {
    let result = match cli.command {
        Command::Serve { no_worker } => {
            serve(Config {
                run_worker: !no_worker,
                ..config
            })
            .await
        }
        Command::Worker => worker(config).await,
        Command::Migrate => migrate(config).await,
        Command::Check => return check(config).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error.cause = format!("{e:#}"), "planner stopped with an error");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let app = Application::build(config, Arc::new(SystemClock)).await?;
    tracing::info!(addr = %app.local_addr()?, "listening");
    app.run_until(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn worker(config: Config) -> anyhow::Result<()> {
    let db = crate::db::connect(&config).await?;
    crate::db::migrate(&db, &config).await?;
    let state = crate::state::AppState::new(config, db, Arc::new(SystemClock))?;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let metrics = match state.config.worker_metrics_addr {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("WORKER_METRICS_ADDR {addr}: {e}"))?;
            tracing::info!(addr = %listener.local_addr()?, "worker metrics listening");
            let mut stopping = stopped.clone();
            let router = crate::metrics::worker_router(state.clone());
            Some(tokio::spawn(async move {
                axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = stopping.wait_for(|stopped| *stopped).await;
                    })
                    .await
            }))
        }
        None => None,
    };
    let worker = tokio::spawn(crate::jobs::run(state, stopped));
    shutdown_signal().await;
    let _ = stop.send(true);
    worker.await?;
    if let Some(metrics) = metrics {
        metrics.await??;
    }
    Ok(())
}

async fn migrate(config: Config) -> anyhow::Result<()> {
    let db = crate::db::connect(&config).await?;
    crate::db::migrate(&db, &config).await?;
    tracing::info!("migrations applied");
    Ok(())
}

/// One line per dependency, `ok` or `FAILED: why`.
async fn check(config: Config) -> ExitCode {
    let mut failed = false;
    let database = match crate::db::connect(&config).await {
        Ok(db) => match db.ping().await {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!("FAILED: {e}"),
        },
        Err(e) => format!("FAILED: {e:#}"),
    };
    failed |= database != "ok";
    let backend = if config.is_postgres() { "PostgreSQL" } else { "SQLite" };
    println!("database ({backend}): {database}");
    let tmdb = crate::tmdb::TmdbClient::new(crate::tmdb::client::TmdbSettings::from_config(&config));
    let tmdb = match tmdb {
        Err(e) => format!("FAILED: {e}"),
        Ok(client) if !crate::tmdb::MovieDatabase::is_configured(&client) => {
            "not configured (TMDB_API_TOKEN unset)".to_owned()
        }
        Ok(client) => match crate::tmdb::MovieDatabase::check(&client).await {
            Ok(()) => "ok".to_owned(),
            Err(e) => format!("FAILED: {e}"),
        },
    };
    failed |= tmdb.starts_with("FAILED");
    println!("tmdb ({}): {tmdb}", config.tmdb_base_url);
    let mail = match crate::email::mailer::from_config(&config) {
        Err(e) => ("mail".to_owned(), format!("FAILED: {e}")),
        Ok(mailer) => (
            mailer.describe(),
            mailer
                .check()
                .await
                .map_or_else(|e| format!("FAILED: {e}"), |()| "ok".to_owned()),
        ),
    };
    failed |= mail.1.starts_with("FAILED");
    println!("mail ({}): {}", mail.0, mail.1);
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
