//! Refresh-token sessions: start, rotate with reuse detection and a grace period, end.
//!
//! Each login starts a session, a family of refresh tokens of which exactly one is live. A refresh exchanges the live
//! token for its child and marks it rotated. Presenting a rotated token again means it was copied: the whole session
//! is revoked. The one exception is the immediate parent within a short grace period, for a client that lost the
//! response: the child is derived from the parent with a keyed hash, so the retry gets the very same child back and
//! the session never has two live children, not even under concurrent refreshes of one token.

use base64::Engine as _;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac as _};
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait as _};
use sha2::Sha256;

use super::{hash_token, random_bytes};
use crate::entity::session;
use crate::repo::sessions::{self as repo, SessionOrigin};

/// Session lifetimes, from the configuration.
#[derive(Clone, Copy, Debug)]
pub struct SessionPolicy {
    pub idle_timeout: chrono::Duration,
    pub max_lifetime: chrono::Duration,
    pub reuse_grace: chrono::Duration,
}

/// Why a refresh token was refused.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("the refresh token is not valid")]
    Unknown,
    #[error("the session has ended; log in again")]
    SessionEnded,
    #[error("the refresh token was already used; the session has been ended for safety")]
    Reused,
    #[error(transparent)]
    Database(#[from] DbErr),
}

/// A refresh token handed to a client, with the session it belongs to.
pub struct IssuedRefresh {
    pub session: session::Model,
    pub refresh_token: String,
}

/// Derives children from parents; the key comes from the server secret and never leaves the process.
pub struct RefreshTokenKeys {
    derivation_key: Vec<u8>,
}

type HmacSha256 = Hmac<Sha256>;

const ENGINE: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// How often a refresh is retried when SQLite reports its write lock busy past the busy timeout.
const BUSY_RETRIES: usize = 5;

impl RefreshTokenKeys {
    pub fn new(server_secret: &str) -> Self {
        Self {
            derivation_key: Self::mac(server_secret.as_bytes(), b"planner refresh-token derivation v1"),
        }
    }

    fn mac(key: &[u8], message: &[u8]) -> Vec<u8> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(message);
        mac.finalize().into_bytes().to_vec()
    }

    /// A new random token: 256 bits.
    pub fn fresh(&self) -> String {
        ENGINE.encode(random_bytes::<32>())
    }

    /// The child a parent token is exchanged for: 256 bits, unpredictable without the parent and the key.
    pub fn child_of(&self, parent: &str) -> String {
        ENGINE.encode(Self::mac(&self.derivation_key, parent.as_bytes()))
    }

    /// Starts a session for a user who has just proved who they are.
    ///
    /// # Errors
    /// Database failures.
    pub async fn start_session(
        &self,
        db: &DatabaseConnection,
        user_id: i64,
        origin: SessionOrigin,
        policy: SessionPolicy,
        now: DateTime<Utc>,
    ) -> Result<IssuedRefresh, DbErr> {
        let refresh_token = self.fresh();
        let txn = db.begin().await?;
        let session = repo::insert_session(&txn, user_id, origin, now, now + policy.max_lifetime).await?;
        repo::insert_refresh_token(&txn, session.id, hash_token(&refresh_token), now).await?;
        txn.commit().await?;
        Ok(IssuedRefresh { session, refresh_token })
    }

    /// Exchanges a refresh token for its child.
    ///
    /// # Errors
    /// A [`RefreshError`]; reuse outside the grace period also revokes the session.
    pub async fn rotate(
        &self,
        db: &DatabaseConnection,
        presented: &str,
        policy: SessionPolicy,
        now: DateTime<Utc>,
    ) -> Result<IssuedRefresh, RefreshError> {
        let mut attempt = 0;
        loop {
            match self.rotate_once(db, presented, policy, now).await {
                Err(RefreshError::Database(e)) if is_busy(&e) && attempt < BUSY_RETRIES => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(20 * attempt as u64)).await;
                }
                other => return other,
            }
        }
    }

    async fn rotate_once(
        &self,
        db: &DatabaseConnection,
        presented: &str,
        policy: SessionPolicy,
        now: DateTime<Utc>,
    ) -> Result<IssuedRefresh, RefreshError> {
        let token_hash = hash_token(presented);
        let txn = db.begin().await?;
        let won = repo::claim_refresh_token(&txn, &token_hash, now).await?;
        let token = repo::find_refresh_token(&txn, &token_hash)
            .await?
            .ok_or(RefreshError::Unknown)?;
        let session = repo::find_session(&txn, token.session_id)
            .await?
            .ok_or(RefreshError::Unknown)?;
        let ended = session.revoked_at.is_some()
            || session.expires_at <= now
            || session.last_used_at + policy.idle_timeout <= now;
        if ended {
            // Dropping the transaction rolls back the claim: an ended session's tokens stay as they were.
            return Err(RefreshError::SessionEnded);
        }
        let child = self.child_of(presented);
        if won {
            repo::insert_refresh_token(&txn, session.id, hash_token(&child), now).await?;
            repo::touch_session(&txn, session.id, now).await?;
            txn.commit().await?;
            return Ok(IssuedRefresh {
                session,
                refresh_token: child,
            });
        }
        // Already rotated: a lost response being retried, or a stolen token being replayed.
        let child_row = repo::find_refresh_token(&txn, &hash_token(&child)).await?;
        let within_grace = token.rotated_at.is_some_and(|at| now - at <= policy.reuse_grace);
        if within_grace && child_row.is_some_and(|c| c.rotated_at.is_none()) {
            txn.commit().await?;
            return Ok(IssuedRefresh {
                session,
                refresh_token: child,
            });
        }
        repo::revoke_session(&txn, session.user_id, session.id, now).await?;
        txn.commit().await?;
        tracing::warn!(
            session.id = session.id,
            user.id = session.user_id,
            "refresh token reuse: session revoked"
        );
        Err(RefreshError::Reused)
    }

    /// Ends the session a refresh token belongs to, whichever token of the family it is; unknown tokens are ignored.
    ///
    /// # Errors
    /// Database failures.
    pub async fn end_session(&self, db: &DatabaseConnection, presented: &str, now: DateTime<Utc>) -> Result<(), DbErr> {
        if let Some(token) = repo::find_refresh_token(db, &hash_token(presented)).await?
            && let Some(session) = repo::find_session(db, token.session_id).await?
        {
            repo::revoke_session(db, session.user_id, session.id, now).await?;
        }
        Ok(())
    }
}

fn is_busy(err: &DbErr) -> bool {
    let text = err.to_string();
    text.contains("database is locked") || text.contains("database table is locked") || text.contains("SQLITE_BUSY")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_are_deterministic_per_parent_and_differ_from_it() {
        let keys = RefreshTokenKeys::new("a server secret that is long enough!!");
        let parent = keys.fresh();
        assert_eq!(keys.child_of(&parent), keys.child_of(&parent));
        assert_ne!(keys.child_of(&parent), parent);
        assert_ne!(keys.fresh(), parent);
        assert_eq!(ENGINE.decode(keys.child_of(&parent)).unwrap().len(), 32, "256 bits");
        let other_keys = RefreshTokenKeys::new("another secret, another derivation!!!");
        assert_ne!(other_keys.child_of(&parent), keys.child_of(&parent));
    }
}
