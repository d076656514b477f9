//! Background work: the sweep that records what has come due in the outbox, and the delivery of outbox rows.
//!
//! Every worker process runs the same loop. Running it twice, or in several processes at once, is safe: the outbox
//! key makes recording idempotent, and a delivery is claimed by one sender before the mail server is contacted.

pub mod deliver;
pub mod refresh;
pub mod sweep;

use std::time::Duration;

use tokio::sync::watch;

use crate::state::AppState;

/// How often the loop looks for deliveries to send (sweeps run every `SWEEP_INTERVAL_SECONDS`).
const DISPATCH_TICK: Duration = Duration::from_secs(2);

/// Runs sweeps and deliveries until `stop` turns true; a delivery in progress is finished first.
pub async fn run(state: AppState, mut stop: watch::Receiver<bool>) {
    tracing::info!(
        sweep.interval_secs = state.config.sweep_interval.as_secs(),
        "worker started"
    );
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
        if let Err(e) = deliver::dispatch_due_until(&state, Some(&stop)).await {
            tracing::error!(error.cause = format!("{e:#}"), "dispatch failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(DISPATCH_TICK) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            break;
        }
    }
    tracing::info!("worker stopped");
}
