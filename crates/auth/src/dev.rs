//! Development tokens (`samverkan dev token`).

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};

/// Why a development token could not be minted.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    #[error("the development secret must not be empty")]
    EmptySecret,
    #[error("sign development token")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

#[derive(serde::Serialize)]
struct DevClaims<'a> {
    sub: &'a str,
    email: &'a str,
    municipality: &'a str,
    iss: &'a str,
    aud: &'a str,
    iat: u64,
    nbf: u64,
    exp: u64,
}

/// Mints an HS256 token for `subject` (also put in `email`, since the demo
/// people are named by e-mail) in `municipality`, valid for `ttl` from now.
/// Only a verifier configured with `KeySource::DevHmac` and the same
/// secret, issuer and audience accepts it.
pub fn mint_dev_token(
    secret: &str,
    issuer: &str,
    audience: &str,
    subject: &str,
    municipality: &str,
    ttl: Duration,
) -> Result<String, MintError> {
    if secret.is_empty() {
        return Err(MintError::EmptySecret);
    }
    let now = jsonwebtoken::get_current_timestamp();
    let claims = DevClaims {
        sub: subject,
        email: subject,
        municipality,
        iss: issuer,
        aud: audience,
        iat: now,
        nbf: now,
        exp: now.saturating_add(ttl.as_secs()),
    };
    Ok(jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )?)
}
