//! The application state shared by every handler: configuration, database, clock and the auth services.

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use crate::auth::access_token::AccessTokens;
use crate::auth::password::PasswordHasher;
use crate::auth::rate_limit::{Client, RateLimiter};
use crate::auth::refresh::{RefreshTokenKeys, SessionPolicy};
use crate::calendar::feed_token::FeedTokens;
use crate::clock::Clock;
use crate::config::Config;
use crate::email::mailer::Mailer;
use crate::http::database_gate::DatabaseGate;
use crate::http::task_page_cache::TaskPageCache;
use crate::tmdb::client::TmdbSettings;
use crate::tmdb::{MovieDatabase, TmdbClient};

/// Cheap to clone: one reference count for the whole state. (axum clones the state for every middleware and
/// handler that takes it; with a reference count per field, those clones were a quarter of a cached list's time.)
#[derive(Clone)]
pub struct AppState(Arc<SharedState>);

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// What every handler shares; reached through [`AppState`].
pub struct SharedState {
    pub config: Arc<Config>,
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub passwords: Arc<PasswordHasher>,
    pub access_tokens: Arc<AccessTokens>,
    pub refresh_tokens: Arc<RefreshTokenKeys>,
    pub rate_limiter: Arc<RateLimiter>,
    /// Per account, for requests that cost a TMDB call.
    pub tmdb_rate_limiter: Arc<RateLimiter>,
    pub tmdb: Arc<dyn MovieDatabase>,
    pub feed_tokens: Arc<FeedTokens>,
    pub mailer: Arc<dyn Mailer>,
    /// Closed while the database is unreachable, so that requests fail fast.
    pub database_gate: Arc<DatabaseGate>,
    /// Rendered task-list pages; on PostgreSQL off until [`crate::http::task_page_cache::follow_other_processes`]
    /// listens for other processes' writes.
    pub task_pages: Arc<TaskPageCache>,
}

impl AppState {
    /// # Errors
    /// When the configured secrets or hashing parameters cannot be used.
    pub fn new(config: Config, db: DatabaseConnection, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        Ok(Self(Arc::new(SharedState {
            passwords: Arc::new(PasswordHasher::new(
                config.password_hash,
                config.password_hash_concurrency,
            )?),
            access_tokens: Arc::new(AccessTokens::new(&config)?),
            refresh_tokens: Arc::new(RefreshTokenKeys::new(config.jwt_secret.expose())),
            rate_limiter: Arc::new(RateLimiter::new(
                config.rate_limits.auth_requests_per_window,
                config.rate_limits.window,
            )),
            tmdb: Arc::new(TmdbClient::new(TmdbSettings::from_config(&config))?),
            tmdb_rate_limiter: Arc::new(RateLimiter::new(
                config.tmdb_requests_per_user_per_minute,
                std::time::Duration::from_secs(60),
            )),
            feed_tokens: Arc::new(FeedTokens::new(config.jwt_secret.expose())),
            task_pages: Arc::new(TaskPageCache::for_config(&config)),
            mailer: crate::email::mailer::from_config(&config)?,
            config: Arc::new(config),
            database_gate: Arc::new(DatabaseGate::default()),
            db,
            clock,
        })))
    }

    /// Counts a request against an endpoint's budget for the calling address; 429 with `Retry-After` when spent.
    ///
    /// # Errors
    /// [`ApiError::TooManyRequests`].
    pub fn admit_address(
        &self,
        scope: &'static str,
        client: &crate::http::client::ClientInfo,
    ) -> Result<(), crate::error::ApiError> {
        admit(&self.rate_limiter, scope, Client::address(client.ip), self)
    }

    /// Counts a request against a budget of the calling account.
    ///
    /// # Errors
    /// [`ApiError::TooManyRequests`].
    pub fn admit_account(
        &self,
        limiter: &RateLimiter,
        scope: &'static str,
        user_id: i64,
    ) -> Result<(), crate::error::ApiError> {
        admit(limiter, scope, Client::Account(user_id), self)
    }

    pub fn session_policy(&self) -> SessionPolicy {
        let to_chrono = |d: std::time::Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::days(1));
        SessionPolicy {
            idle_timeout: to_chrono(self.config.session_idle_timeout),
            max_lifetime: to_chrono(self.config.session_max_lifetime),
            reuse_grace: to_chrono(self.config.refresh_reuse_grace),
        }
    }
}

fn admit(
    limiter: &RateLimiter,
    scope: &'static str,
    client: Client,
    state: &AppState,
) -> Result<(), crate::error::ApiError> {
    limiter
        .check(scope, client, state.clock.now())
        .map_err(|retry_after_secs| crate::error::ApiError::TooManyRequests { retry_after_secs })
}
