//! Background work: the sweep that records what has come due in the outbox, the relay that puts ready outbox rows on
//! the apalis send queue, and the send workers.
//!
//! Every worker process runs the same three. Running them twice, or in several processes at once, is safe: the
//! outbox key makes recording idempotent, the relay marks a row queued before queueing it, and a delivery is claimed
//! by one sender before the mail server is contacted.

pub mod deliver;
pub mod queue;
pub mod refresh;
pub mod sweep;

use std::time::Duration;

use tokio::sync::watch;

use crate::jobs::queue::EmailQueue;
use crate::repo;
use crate::state::AppState;

/// How often the relay looks for outbox rows to queue (sweeps run every `SWEEP_INTERVAL_SECONDS`).
const RELAY_TICK: Duration = Duration::from_secs(1);
const RELAY_BATCH: u64 = 200;
/// How long finished send jobs stay on the queue's books, pruned at every tick. Briefly: the outbox keeps the
/// delivery log for good, and on SQLite each batch of apalis' acknowledgements reads every finished job of its worker
/// still there (through the index on `lock_by`), so keeping a day's worth made every acknowledgement slower as the
/// day went on (138 ms a batch after 10 000 messages; see `bench/README.md`, target 5).
const FINISHED_JOBS_KEPT: Duration = Duration::from_secs(2);

/// Runs sweeps, the relay and the send workers until `stop` turns true; a message being sent is finished or
/// returned to the outbox first.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    tracing::info!(
        sweep.interval_secs = state.config.sweep_interval.as_secs(),
        "worker started"
    );
    let queue = EmailQueue::new(&state.db);
    let senders = tokio::spawn(send_until_stopped(queue.clone(), state.clone(), stop.clone()));
    let mut last_sweep: Option<tokio::time::Instant> = None;
    loop {
        if last_sweep.is_none_or(|at| at.elapsed() >= state.config.sweep_interval) {
            last_sweep = Some(tokio::time::Instant::now());
            if let Err(e) = sweep::sweep(&state).await {
                tracing::error!(error.cause = format!("{e:#}"), "sweep failed");
            }
            // Cheap when nothing is stale: only movies last read a day ago are fetched again.
            if let Err(e) = refresh::refresh_releases(&state).await {
                tracing::error!(error.cause = format!("{e:#}"), "release refresh failed");
            }
        }
        if let Err(e) = relay(&state, &queue).await {
            tracing::error!(error.cause = format!("{e:#}"), "queueing deliveries failed");
        }
        if let Err(e) = queue::prune_finished(&state.db, FINISHED_JOBS_KEPT).await {
            tracing::warn!(error.cause = format!("{e:#}"), "pruning finished jobs failed");
        }
        tokio::select! {
            () = tokio::time::sleep(RELAY_TICK) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
    if let Err(e) = senders.await {
        tracing::error!(error.cause = %e, "send worker panicked");
    }
    tracing::info!("worker stopped");
}

/// Runs the send workers until `stop`; a worker that fails (the database gone for a moment, say) is started again.
async fn send_until_stopped(queue: EmailQueue, state: AppState, stop: watch::Receiver<bool>) {
    const RESTART_AFTER: Duration = Duration::from_secs(1);
    loop {
        let result = queue.clone().work(state.clone(), stop.clone()).await;
        // Stopped, or whoever could stop it is gone.
        if *stop.borrow() || stop.has_changed().is_err() {
            return;
        }
        match result {
            Ok(()) => tracing::warn!("send worker ended; starting it again"),
            Err(e) => tracing::error!(error.cause = format!("{e:#}"), "send worker failed; starting it again"),
        }
        tokio::time::sleep(RESTART_AFTER).await;
    }
}

/// Puts every ready outbox row that has no job on the queue; returns how many were queued.
///
/// # Errors
/// Database failures.
pub async fn relay(state: &AppState, queue: &EmailQueue) -> anyhow::Result<usize> {
    let lease = deliver::lease(state);
    let mut queued = 0;
    loop {
        let now = state.clock.now();
        let ids = repo::notifications::ready_to_queue(&state.db, now, lease, RELAY_BATCH).await?;
        let full = ids.len() as u64 == RELAY_BATCH;
        // Marked first, queued second: a crash in between leaves rows that are queued again after a lease.
        let marked = repo::notifications::mark_queued_many(&state.db, &ids, now, lease).await?;
        if let Err(e) = queue.enqueue_many(&marked).await {
            // Not on the queue after all: unmark them so the next tick tries again instead of waiting for a lease.
            let _ = repo::notifications::unmark_queued(&state.db, &marked, now).await;
            return Err(e);
        }
        queued += marked.len();
        if !full || marked.is_empty() {
            return Ok(queued);
        }
    }
}
