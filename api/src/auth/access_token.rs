//! Access tokens: HS256 JWTs that live ten minutes and are verified without touching the database.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::config::Config;

/// Clock skew tolerated on `exp`, `nbf` and `iat`.
const LEEWAY_SECS: i64 = 30;

/// The claims of an access token. Every one is required.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// The user id.
    pub sub: String,
    /// The session id, so a client can tell which of its sessions is the current one.
    pub sid: i64,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub iss: String,
    pub aud: String,
}

/// Why a token was refused; the text goes to the client in `WWW-Authenticate`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid yet")]
    NotYetValid,
    #[error("the access token is invalid")]
    Invalid,
}

/// Signs and verifies access tokens with the configured secret.
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl AccessTokens {
    /// # Errors
    /// When the secret cannot be used as an HMAC key.
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let secret = config.jwt_secret.expose().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.algorithms = vec![Algorithm::HS256];
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "sub", "iss", "aud"]);
        // Time claims are checked against the injected clock below, not the system clock.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        Ok(Self {
            encoding: EncodingKey::from_secret(secret).context("JWT secret")?,
            decoding: DecodingKey::from_secret(secret).context("JWT secret")?,
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: config.access_token_ttl,
        })
    }

    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Issues a token for a user's session.
    ///
    /// # Errors
    /// Only if signing fails.
    pub fn issue(&self, user_id: i64, session_id: i64, now: DateTime<Utc>) -> anyhow::Result<String> {
        let iat = now.timestamp();
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id,
            iat,
            nbf: iat,
            exp: iat + i64::try_from(self.ttl.as_secs()).unwrap_or(600),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding).context("signing access token")
    }

    /// Verifies signature, algorithm, issuer, audience and times; returns the user and session ids.
    ///
    /// # Errors
    /// A [`TokenError`] saying why the token is refused.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<(i64, i64), TokenError> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|_| TokenError::Invalid)?;
        let claims = data.claims;
        let now = now.timestamp();
        if claims.exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf - LEEWAY_SECS > now || claims.iat - LEEWAY_SECS > now {
            return Err(TokenError::NotYetValid);
        }
        let user_id = claims.sub.parse().map_err(|_| TokenError::Invalid)?;
        Ok((user_id, claims.sid))
    }
}
