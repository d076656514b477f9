//! Building the application from a `Config`: the same function serves `main` and every test.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context as _;
use axum::Router;
use tokio::net::TcpListener;

use crate::clock::Clock;
use crate::config::Config;
use crate::state::AppState;

/// A built application with its listener bound, ready to serve.
pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    /// Connects to the database, applies migrations, builds the state and router, and binds the listener.
    ///
    /// # Errors
    /// When the database cannot be opened or migrated, or the address cannot be bound.
    pub async fn build(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let db = crate::db::connect(&config).await?;
        crate::db::migrate(&db, &config).await?;
        let listener = TcpListener::bind(config.listen_addr)
            .await
            .with_context(|| format!("binding {}", config.listen_addr))?;
        let state = AppState::new(config, db, clock)?;
        let router = crate::http::middleware::apply(crate::routes::router(state.clone()), &state.config);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    /// The bound address (the real port when the configuration asked for port 0).
    ///
    /// # Errors
    /// When the socket has no local address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves (and, unless configured otherwise, runs the background worker) until `shutdown` completes, then lets
    /// in-flight requests and the delivery in progress finish.
    ///
    /// # Errors
    /// When the server fails.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let worker = self
            .state
            .config
            .run_worker
            .then(|| tokio::spawn(crate::jobs::run(self.state.clone(), stopped)));
        // Other API processes' writes must reach this one's task page cache (PostgreSQL: any number of processes).
        let listener = self.state.task_pages.shared().then(|| {
            tokio::spawn(crate::http::task_page_cache::follow_other_processes(
                self.state.task_pages.clone(),
                self.state.config.database_url.clone(),
            ))
        });
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        // The worker finishes the delivery it is on, then stops with the server.
        let _ = stop.send(true);
        if let Some(worker) = worker {
            let _ = worker.await;
        }
        if let Some(listener) = listener {
            listener.abort();
        }
        served
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; finishing in-flight requests");
}
