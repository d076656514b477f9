//! Failing fast while the database is down.
//!
//! Without this, a request during an outage waits for the connection pool, which keeps retrying a refused
//! connection until its acquire timeout, and requests pile up meanwhile. Here, when a request finds the database
//! unreachable, one check opens a fresh connection outside the pool (a refused connection fails at once). If that
//! fails too, the gate closes: API requests get an immediate 503 with `Retry-After`, the ones still waiting on the
//! database get theirs at once, and a probe tries a fresh connection four times a second. The first one that
//! succeeds opens the gate again, so the process recovers by itself, with no restart. A single lost connection, with
//! the server still reachable, closes nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::response::{IntoResponse as _, Response};
use sea_orm::{DatabaseConnection, DbBackend};
use tokio::sync::watch;

use crate::error::ApiError;
use crate::state::AppState;

/// How often the probe tries the database while the gate is closed.
const PROBE_INTERVAL: Duration = Duration::from_millis(250);
/// How long one connection attempt may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// A request still running after this starts a check: it may be waiting on a pool that keeps retrying a refused
/// connection, where no error comes back to close the gate.
const SLOW_REQUEST: Duration = Duration::from_millis(300);
/// After a check finds the database reachable, the next one waits at least this long.
const CHECK_COOLDOWN: Duration = Duration::from_secs(1);

/// Marks a response whose request failed because the database could not be reached.
#[derive(Clone, Copy, Debug)]
pub struct DatabaseUnreachable;

/// Whether the database is known to be down, and whether a check is already running.
#[derive(Debug)]
pub struct DatabaseGate {
    closed: watch::Sender<bool>,
    checking: AtomicBool,
}

impl Default for DatabaseGate {
    fn default() -> Self {
        Self {
            closed: watch::Sender::new(false),
            checking: AtomicBool::new(false),
        }
    }
}

impl DatabaseGate {
    pub fn is_closed(&self) -> bool {
        *self.closed.borrow()
    }

    /// Checks the database after a request could not reach it (unless a check is running): closes the gate if a fresh
    /// connection fails too, and keeps probing until one succeeds.
    pub fn check(self: &Arc<Self>, db: DatabaseConnection) {
        if self.checking.swap(true, Ordering::AcqRel) {
            return;
        }
        let gate = self.clone();
        tokio::spawn(async move {
            if !reachable(&db).await {
                tracing::warn!("database unreachable: answering 503 until it is back");
                gate.closed.send_replace(true);
                while !reachable(&db).await {
                    tokio::time::sleep(PROBE_INTERVAL).await;
                }
                gate.closed.send_replace(false);
                tracing::info!("database reachable again");
            } else {
                // Slow requests on a healthy database start checks too: at most one a second.
                tokio::time::sleep(CHECK_COOLDOWN).await;
            }
            gate.checking.store(false, Ordering::Release);
        });
    }
}

/// Whether a new connection to the database can be made now, bypassing the pool and its retries.
async fn reachable(db: &DatabaseConnection) -> bool {
    use sea_orm::sqlx::{ConnectOptions as _, Connection as _};
    match db.get_database_backend() {
        DbBackend::Postgres => {
            let options = db.get_postgres_connection_pool().connect_options();
            match tokio::time::timeout(PROBE_TIMEOUT, options.connect()).await {
                Ok(Ok(connection)) => {
                    let _ = connection.close().await;
                    true
                }
                _ => false,
            }
        }
        _ => matches!(tokio::time::timeout(PROBE_TIMEOUT, db.ping()).await, Ok(Ok(()))),
    }
}

/// The middleware: while the gate is closed, API requests get a 503 at once, including those already waiting on
/// the database when it closes; a response that says the database was unreachable starts a check, and so does a
/// request that is still running after 300 ms.
pub async fn database_gate(State(state): State<AppState>, request: Request, next: axum::middleware::Next) -> Response {
    if !request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    let mut closed = state.database_gate.closed.subscribe();
    if *closed.borrow_and_update() {
        return unavailable();
    }
    let run = next.run(request);
    tokio::pin!(run);
    let slow = tokio::time::sleep(SLOW_REQUEST);
    tokio::pin!(slow);
    let mut checked = false;
    let response = loop {
        // In this order: a request answered at once (a cached page) never arms the slow-request timer.
        tokio::select! {
            biased;
            response = &mut run => break response,
            _ = closed.wait_for(|closed| *closed) => return unavailable(),
            () = &mut slow, if !checked => {
                checked = true;
                state.database_gate.check(state.db.clone());
            }
        }
    };
    if response.extensions().get::<DatabaseUnreachable>().is_some() {
        state.database_gate.check(state.db.clone());
    }
    response
}

fn unavailable() -> Response {
    ApiError::DatabaseUnreachable.into_response()
}
