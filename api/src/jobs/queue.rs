//! The apalis queue of send jobs, in the app's own database: apalis-sqlite on the embedded default, apalis-postgres
//! when `DATABASE_URL` is PostgreSQL.
//!
//! A job only names an outbox row. Whether a message is sent is decided by claiming that row, so a job that runs
//! twice (apalis re-running an orphan, two relays queueing the same row) sends nothing twice.

use std::pin::Pin;
use std::str::FromStr as _;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Context as _;
use apalis::prelude::{
    BackendExt as _, BoxDynError, Data, PollSnapshot, PollStrategy, TaskBuilder, TaskSink as _, WorkerBuilder,
    WorkerBuilderExt as _,
};
use apalis_postgres::PostgresStorage;
use apalis_sqlite::SqliteStorage;
use sea_orm::DatabaseConnection;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use crate::config::Config;
use crate::jobs::deliver;
use crate::state::AppState;

/// The queue's name, fixed so that renaming the Rust type cannot orphan queued jobs.
pub const SEND_EMAIL_QUEUE: &str = "planner.send-email";
/// How often a worker asks the queue for work.
const POLL_INTERVAL: Duration = Duration::from_millis(100);
/// Jobs fetched per poll (apalis' default of 10 per poll caps a worker at 100 messages a second).
const BATCH_SIZE: usize = 100;
/// Messages one worker process hands to the mail server at once (the SMTP pool has as many connections).
const CONCURRENCY: usize = 32;

/// Send the message recorded in one outbox row.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEmail {
    pub notification_id: i64,
}

/// The send queue on whichever database the app uses.
#[derive(Clone)]
pub enum EmailQueue {
    Sqlite(SqliteStorage<SendEmail>),
    Postgres(PostgresStorage<SendEmail>),
}

impl std::fmt::Debug for EmailQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Sqlite(_) => "EmailQueue::Sqlite",
            Self::Postgres(_) => "EmailQueue::Postgres",
        })
    }
}

impl EmailQueue {
    /// The queue on the app's own connection pool.
    pub fn new(db: &DatabaseConnection) -> Self {
        match db.get_database_backend() {
            sea_orm::DatabaseBackend::Postgres => Self::Postgres(
                PostgresStorage::new(db.get_postgres_connection_pool()).with_config(
                    apalis_postgres::Config::default()
                        .queue(SEND_EMAIL_QUEUE)
                        .batch_size(BATCH_SIZE),
                ),
            ),
            _ => Self::Sqlite(
                SqliteStorage::new(db.get_sqlite_connection_pool()).with_config(
                    apalis_sqlite::Config::default()
                        .queue(SEND_EMAIL_QUEUE)
                        .batch_size(BATCH_SIZE),
                ),
            ),
        }
    }

    /// Puts send jobs for several outbox rows on the queue in one go.
    ///
    /// # Errors
    /// When the queue's table cannot be written.
    pub async fn enqueue_many(&self, notification_ids: &[i64]) -> anyhow::Result<()> {
        if notification_ids.is_empty() {
            return Ok(());
        }
        let jobs = || {
            futures::stream::iter(
                notification_ids
                    .iter()
                    .map(|id| TaskBuilder::new(SendEmail { notification_id: *id }).build())
                    .collect::<Vec<_>>(),
            )
        };
        match self.clone() {
            Self::Sqlite(mut storage) => storage.push_all(&mut jobs()).await.map_err(|e| anyhow::anyhow!("{e}")),
            Self::Postgres(mut storage) => storage.push_all(&mut jobs()).await.map_err(|e| anyhow::anyhow!("{e}")),
        }
        .context("queueing send jobs")
    }

    /// Runs the send workers until `stop` turns true; a message being sent is finished or returned to the outbox.
    ///
    /// # Errors
    /// When the worker cannot poll the queue.
    pub async fn work(self, state: AppState, stop: watch::Receiver<bool>) -> anyhow::Result<()> {
        let name = format!("planner-{}-{}", std::process::id(), uuid::Uuid::new_v4().simple());
        let context = SendContext {
            state,
            stop: stop.clone(),
        };
        let signal = async move {
            let mut stop = stop;
            let _ = stop.wait_for(|stopped| *stopped).await;
            Ok::<(), std::io::Error>(())
        };
        match self {
            Self::Sqlite(storage) => WorkerBuilder::new(name)
                .backend(storage.poll_with_strategy(PollTimer::every(POLL_INTERVAL)))
                .concurrency(CONCURRENCY)
                .data(context)
                .build(send_email)
                .run_until(signal)
                .await
                .map_err(|e| anyhow::anyhow!("{e}")),
            Self::Postgres(storage) => WorkerBuilder::new(name)
                .backend(storage.poll_with_strategy(PollTimer::every(POLL_INTERVAL)))
                .concurrency(CONCURRENCY)
                .data(context)
                .build(send_email)
                .run_until(signal)
                .await
                .map_err(|e| anyhow::anyhow!("{e}")),
        }
    }
}

/// Wakes a send worker every [`POLL_INTERVAL`] to look for jobs.
///
/// apalis' own `IntervalStrategy` re-arms its timer after it fires without polling the new one, so the timer holds no
/// waker. When the fetch that follows finds nothing without having to wait (a busy machine, where the fetch outlasts
/// the interval), nothing wakes the worker until its next heartbeat, 30 seconds later, and queued mail waits that
/// long. This timer is polled as soon as it is re-armed, so it always holds the worker's waker.
struct PollTimer {
    every: Duration,
    timer: Pin<Box<tokio::time::Sleep>>,
}

impl PollTimer {
    fn every(every: Duration) -> Self {
        Self {
            every,
            timer: Box::pin(tokio::time::sleep(every)),
        }
    }
}

impl PollStrategy for PollTimer {
    fn poll_drive(&mut self, cx: &mut Context<'_>, _: &PollSnapshot) -> Poll<Option<()>> {
        if self.timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        self.timer.as_mut().reset(tokio::time::Instant::now() + self.every);
        // Registers the waker with the new deadline; it cannot have passed already.
        let _ = self.timer.as_mut().poll(cx);
        Poll::Ready(Some(()))
    }
}

/// Deletes finished send jobs older than `keep`: the outbox keeps the delivery log, the queue need not.
///
/// # Errors
/// Database failures.
pub async fn prune_finished(db: &DatabaseConnection, keep: Duration) -> anyhow::Result<u64> {
    use sea_orm::{ConnectionTrait as _, DatabaseBackend, Statement};
    let cutoff = chrono::Utc::now() - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::days(1));
    let statement = match db.get_database_backend() {
        DatabaseBackend::Postgres => Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "DELETE FROM apalis.jobs WHERE job_type = $1 AND status = 'Done' AND done_at < $2",
            [SEND_EMAIL_QUEUE.into(), cutoff.into()],
        ),
        backend => Statement::from_sql_and_values(
            backend,
            "DELETE FROM Jobs WHERE job_type = ? AND status = 'Done' AND done_at < ?",
            [SEND_EMAIL_QUEUE.into(), cutoff.timestamp().into()],
        ),
    };
    Ok(db.execute_raw(statement).await?.rows_affected())
}

/// What a send job needs: the app, and the signal that the worker is shutting down.
#[derive(Clone)]
struct SendContext {
    state: AppState,
    stop: watch::Receiver<bool>,
}

async fn send_email(job: SendEmail, context: Data<SendContext>) -> Result<(), BoxDynError> {
    deliver::deliver_until(&context.state, job.notification_id, Some(&context.stop))
        .await
        .map(drop)
        .map_err(|e| BoxDynError::from(format!("{e:#}")))
}

/// Creates the queue's tables (apalis's own migrations) next to the app's.
///
/// On SQLite this uses a connection of its own, closed afterwards: apalis's set-up turns off `synchronous` on the
/// connection it is given, which the app's connections must keep.
///
/// # Errors
/// When the migrations fail.
pub async fn setup(db: &DatabaseConnection, config: &Config) -> anyhow::Result<()> {
    if config.is_postgres() {
        return PostgresStorage::setup(db.get_postgres_connection_pool())
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("creating the job queue's tables");
    }
    let options = SqliteConnectOptions::from_str(config.database_url.expose())
        .context("parsing the SQLite DATABASE_URL")?
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .context("opening the SQLite database for the job queue's set-up")?;
    let result = SqliteStorage::setup(&pool)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
        .context("creating the job queue's tables");
    pool.close().await;
    result
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Wake, Waker};

    use super::*;

    struct CountingWaker(AtomicUsize);

    impl Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    #[tokio::test]
    async fn after_firing_the_poll_timer_wakes_the_worker_again_without_being_polled() {
        let wakes = Arc::new(CountingWaker(AtomicUsize::new(0)));
        let waker = Waker::from(wakes.clone());
        let mut cx = Context::from_waker(&waker);
        let mut timer = PollTimer::every(Duration::from_millis(20));
        let snapshot = PollSnapshot::default();
        assert!(timer.poll_drive(&mut cx, &snapshot).is_pending());
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(
            timer.poll_drive(&mut cx, &snapshot).is_ready(),
            "fires after its interval"
        );
        let woken_before = wakes.0.load(Ordering::SeqCst);
        // The worker's fetch came back empty at once: nobody polls the timer until it wakes the worker.
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert!(
            wakes.0.load(Ordering::SeqCst) > woken_before,
            "the re-armed timer wakes the worker by itself"
        );
    }
}
