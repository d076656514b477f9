//! Password hashing with argon2id, off the async runtime and with a bound on how many hashes run at once.

use std::sync::Arc;

use anyhow::Context as _;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, Semaphore};

use crate::config::PasswordHashParams;

/// Hashes and verifies passwords. A flood of logins queues on the semaphore instead of starving other requests or
/// using memory without bound (each hash holds `memory_kib` while it runs).
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, verified when the account does not exist so both cases take the same time.
    dummy_hash: OnceCell<String>,
}

impl PasswordHasher {
    /// # Errors
    /// When the parameters are outside what argon2 accepts.
    pub fn new(params: PasswordHashParams, concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: OnceCell::new(),
        })
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password into a PHC string.
    ///
    /// # Errors
    /// Only on an internal failure of the hasher.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await.context("password hasher closed")?;
        let params = self.params.clone();
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            Self::argon2(params)
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
        })
        .await
        .context("hashing task panicked")?
    }

    /// Checks a password against a stored hash; with no stored hash, spends the same effort and answers `false`.
    ///
    /// # Errors
    /// Only on an internal failure of the hasher.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> anyhow::Result<bool> {
        let stored = match stored {
            Some(hash) => hash.to_owned(),
            None => {
                let dummy = self
                    .dummy_hash
                    .get_or_try_init(|| async {
                        let random = super::hash_token(&String::from_utf8_lossy(&super::random_bytes::<32>()));
                        self.hash(&random).await
                    })
                    .await?;
                let _ = self.verify_hash(password, dummy.clone()).await?;
                return Ok(false);
            }
        };
        self.verify_hash(password, stored).await
    }

    async fn verify_hash(&self, password: &str, stored: String) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await.context("password hasher closed")?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
            // The parameters come from the stored hash, so older hashes keep verifying after a parameter change.
            Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
        .context("verification task panicked")?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_with_the_configured_cost_and_verify() {
        let hasher = PasswordHasher::new(PasswordHashParams::OWASP, 1).unwrap();
        let hash = hasher.hash("correct horse").await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(hasher.verify("correct horse", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("wrong horse", Some(&hash)).await.unwrap());
        assert!(!hasher.verify("correct horse", None).await.unwrap());
    }
}
