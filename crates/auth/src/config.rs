//! Which tokens the server accepts.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// How tokens are verified. Deserializable (e.g. from a config file) and
/// constructible in code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The only accepted `iss`.
    pub issuer: String,
    /// The accepted `aud` (the token's `aud` must be or contain it).
    pub audience: String,
    /// The claim that identifies the person, e.g. `sub`, `email`, `oid`.
    #[serde(default = "default_person_claim")]
    pub person_claim: String,
    /// The claim that names the municipality, e.g. `municipality` or, with
    /// Entra ID, `tid`.
    #[serde(default = "default_municipality_claim")]
    pub municipality_claim: String,
    /// Maps a municipality claim value (e.g. an Entra ID tenant GUID) to a
    /// municipality id such as `tranemo`. Values not in the map are taken as
    /// the id itself.
    #[serde(default)]
    pub municipality_map: BTreeMap<String, String>,
    /// Where the verification keys come from.
    pub keys: KeySource,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway_seconds")]
    pub leeway_seconds: u64,
}

fn default_person_claim() -> String {
    "sub".into()
}

fn default_municipality_claim() -> String {
    "municipality".into()
}

fn default_leeway_seconds() -> u64 {
    30
}

impl AuthConfig {
    /// A configuration with the default claim names and leeway.
    pub fn new(issuer: impl Into<String>, audience: impl Into<String>, keys: KeySource) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            person_claim: default_person_claim(),
            municipality_claim: default_municipality_claim(),
            municipality_map: BTreeMap::new(),
            keys,
            leeway_seconds: default_leeway_seconds(),
        }
    }

    /// Development configuration: HS256 tokens signed with `secret`, as
    /// minted by [`crate::mint_dev_token`].
    pub fn dev(secret: &str, issuer: &str, audience: &str) -> Self {
        Self::new(
            issuer,
            audience,
            KeySource::DevHmac {
                secret: secret.to_owned(),
            },
        )
    }
}

/// Where verification keys come from. Serialized externally tagged in
/// snake case, e.g. `{"jwks_url": {"url": "https://…", "refresh": 300}}`.
#[derive(Clone, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum KeySource {
    /// A JWKS document on disk, read once at startup. RS256 and ES256 only.
    JwksFile(PathBuf),
    /// A JWKS URL (the identity provider's `jwks_uri`), fetched at startup
    /// and every `refresh` (seconds in serialized form). RS256 and ES256 only.
    JwksUrl {
        url: String,
        #[serde(deserialize_with = "seconds")]
        refresh: Duration,
    },
    /// A shared HMAC secret: HS256 development tokens. Never in production,
    /// since anyone with the secret can mint a token for anyone.
    DevHmac { secret: String },
}

// Manual so the development secret never reaches a log line.
impl fmt::Debug for KeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::JwksFile(p) => f.debug_tuple("JwksFile").field(p).finish(),
            Self::JwksUrl { url, refresh } => f
                .debug_struct("JwksUrl")
                .field("url", url)
                .field("refresh", refresh)
                .finish(),
            Self::DevHmac { .. } => f
                .debug_struct("DevHmac")
                .field("secret", &"<redacted>")
                .finish(),
        }
    }
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deserializes_with_defaults() {
        let cfg: AuthConfig = serde_json::from_str(
            r#"{"issuer":"i","audience":"a","keys":{"jwks_url":{"url":"https://idp/keys","refresh":300}}}"#,
        )
        .unwrap();
        assert_eq!(cfg.person_claim, "sub");
        assert_eq!(cfg.municipality_claim, "municipality");
        assert_eq!(cfg.leeway_seconds, 30);
        assert!(
            matches!(cfg.keys, KeySource::JwksUrl { ref url, refresh } if url == "https://idp/keys" && refresh == Duration::from_secs(300))
        );
    }

    #[test]
    fn debug_hides_the_secret() {
        let cfg = AuthConfig::dev("hunter2", "i", "a");
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }
}
