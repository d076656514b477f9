//! Authentication: password hashing, access tokens, refresh-token sessions, the `AuthUser` extractor, rate limits.

pub mod access_token;
pub mod extractor;
pub mod lockout;
pub mod password;
pub mod rate_limit;
pub mod refresh;

pub use extractor::AuthUser;

use rand::RngCore as _;
use sha2::{Digest as _, Sha256};

/// `N` bytes from a CSPRNG seeded by the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    rand::rng().fill_bytes(&mut bytes);
    bytes
}

/// The hex SHA-256 of a high-entropy token: what the database stores in place of the token.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}
