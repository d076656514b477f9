//! Password checks guarded by the per-account attempt limit, which the database shares across API processes.

use crate::error::ApiError;
use crate::repo;
use crate::state::AppState;

/// The limit's key for an account, or for a login name that matches none (limited alike, so a lockout says nothing
/// about whether an account exists).
pub fn account_key(user_id: Option<i64>, login: &str) -> String {
    user_id.map_or_else(
        || format!("name:{}", login.trim().to_lowercase()),
        |id| format!("user:{id}"),
    )
}

/// Checks a password unless the account has used up its attempts, in which case the answer is 429 and the password
/// is not even looked at.
///
/// # Errors
/// 429 with the seconds until the window ends, or an internal failure.
pub async fn verify_password(
    state: &AppState,
    key: &str,
    password: &str,
    stored: Option<&str>,
) -> Result<bool, ApiError> {
    let limits = state.config.rate_limits;
    let window = chrono::Duration::from_std(limits.failed_login_window).unwrap_or(chrono::Duration::minutes(15));
    let now = state.clock.now();
    let (attempts, started) = repo::login_attempts::count_attempt(&state.db, key, window, now).await?;
    if attempts > limits.failed_logins_per_account {
        let retry_after_secs = u64::try_from((started + window - now).num_seconds().max(1)).unwrap_or(1);
        return Err(ApiError::TooManyRequests { retry_after_secs });
    }
    let verified = state.passwords.verify(password, stored).await?;
    if verified {
        repo::login_attempts::clear(&state.db, key).await?;
    }
    Ok(verified)
}
