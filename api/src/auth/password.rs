//! Password hashing with argon2id, on a fixed set of threads of its own, off the async runtime.

use std::sync::{Arc, Mutex, mpsc};

use anyhow::Context as _;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OnceCell, oneshot};

use crate::config::PasswordHashParams;

type Job = Box<dyn FnOnce() + Send>;

/// Hashes and verifies passwords. A flood of logins queues for the hashing threads instead of starving other
/// requests. Each hash holds `memory_kib` while it runs; on the same few threads, the allocator reuses that memory
/// for the next hash, so the process stays within about threads × `memory_kib` however many logins arrive (on
/// tokio's blocking threads, each thread's own allocator arena kept its last hash's memory).
pub struct PasswordHasher {
    params: Params,
    jobs: mpsc::Sender<Job>,
    /// A hash of a random password, verified when the account does not exist so both cases take the same time.
    dummy_hash: OnceCell<String>,
}

impl PasswordHasher {
    /// # Errors
    /// When the parameters are outside what argon2 accepts.
    pub fn new(params: PasswordHashParams, concurrency: usize) -> anyhow::Result<Self> {
        let params = Params::new(params.memory_kib, params.iterations, params.parallelism, None)
            .map_err(|e| anyhow::anyhow!("invalid argon2 parameters: {e}"))?;
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for index in 0..concurrency.max(1) {
            let queue = queue.clone();
            std::thread::Builder::new()
                .name(format!("password-hash-{index}"))
                .spawn(move || {
                    // Ends when the hasher, and with it the sending side, is dropped.
                    loop {
                        let job = match queue.lock() {
                            Ok(queue) => queue.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                })
                .context("starting a password hashing thread")?;
        }
        Ok(Self {
            params,
            jobs,
            dummy_hash: OnceCell::new(),
        })
    }

    /// Runs `work` on a hashing thread, unless the caller has stopped waiting by the time its turn comes.
    async fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> anyhow::Result<T> {
        let (reply, answer) = oneshot::channel();
        let job: Job = Box::new(move || {
            if !reply.is_closed() {
                let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
                let _ = reply.send(result);
            }
        });
        self.jobs
            .send(job)
            .map_err(|_| anyhow::anyhow!("password hasher stopped"))?;
        answer
            .await
            .context("password hasher stopped")?
            .map_err(|_| anyhow::anyhow!("password hashing panicked"))
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    /// Hashes a password into a PHC string.
    ///
    /// # Errors
    /// Only on an internal failure of the hasher.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let params = self.params.clone();
        let password = password.to_owned();
        self.run(move || {
            Self::argon2(params)
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
        })
        .await?
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
        let password = password.to_owned();
        self.run(move || {
            let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash is malformed: {e}"))?;
            // The parameters come from the stored hash, so older hashes keep verifying after a parameter change.
            Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
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
