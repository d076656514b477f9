//! The secret in a user's calendar-feed URL: derived from the server secret, the user id and a version number,
//! so nothing secret is stored and replacing the URL is bumping the version.

use base64::Engine as _;
use hmac::{Hmac, Mac as _};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Makes and checks feed tokens of the form `<user id>-<MAC>`.
pub struct FeedTokens {
    key: Vec<u8>,
}

impl FeedTokens {
    pub fn new(server_secret: &str) -> Self {
        let mut mac = Self::hmac(server_secret.as_bytes());
        mac.update(b"planner calendar-feed key v1");
        Self {
            key: mac.finalize().into_bytes().to_vec(),
        }
    }

    fn hmac(key: &[u8]) -> HmacSha256 {
        HmacSha256::new_from_slice(key).unwrap_or_else(|_| unreachable!("HMAC takes any key length"))
    }

    fn mac(&self, user_id: i64, version: i32) -> HmacSha256 {
        let mut mac = Self::hmac(&self.key);
        mac.update(format!("{user_id}:{version}").as_bytes());
        mac
    }

    pub fn token(&self, user_id: i64, version: i32) -> String {
        let tag = self.mac(user_id, version).finalize().into_bytes();
        format!(
            "{user_id}-{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// The user a token claims to be for; check it with [`Self::verify`] once the user's version is known.
    pub fn claimed_user(token: &str) -> Option<i64> {
        token.split_once('-').and_then(|(id, _)| id.parse().ok())
    }

    /// Checks a token against the user's current version, in constant time.
    pub fn verify(&self, token: &str, user_id: i64, version: i32) -> bool {
        let Some((_, tag)) = token.split_once('-') else {
            return false;
        };
        let Ok(tag) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tag) else {
            return false;
        };
        self.mac(user_id, version).verify_slice(&tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_for_their_user_and_version() {
        let tokens = FeedTokens::new("a server secret that is long enough!!");
        let token = tokens.token(7, 0);
        assert_eq!(FeedTokens::claimed_user(&token), Some(7));
        assert!(tokens.verify(&token, 7, 0));
        assert!(!tokens.verify(&token, 7, 1), "a replaced URL stops working");
        assert!(!tokens.verify(&token, 8, 0));
        assert!(!tokens.verify(&token.replace("7-", "7-x"), 7, 0));
        assert!(!FeedTokens::new("another secret, another token!!!!!!!").verify(&token, 7, 0));
    }
}
