//! Which tokens the server accepts: one entry per trusted identity
//! provider, each bound to the municipalities it may vouch for.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// How tokens are verified. Deserializable (e.g. from the file given to
/// `samverkan serve --auth-config`) and constructible in code.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// The trusted issuers. A token is verified by the one whose `issuer`
    /// equals its `iss`; a token from any other issuer is refused.
    pub issuers: Vec<IssuerConfig>,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway_seconds")]
    pub leeway_seconds: u64,
}

/// One trusted identity provider, e.g. a member municipality's Entra ID
/// tenant (`https://login.microsoftonline.com/<tenant id>/v2.0`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    /// The accepted `iss`.
    pub issuer: String,
    /// The accepted `aud` (the token's `aud` must be or contain it).
    pub audience: String,
    /// The claim that identifies the person: a stable identifier such as
    /// Entra ID's `oid`, recorded as the person's subject when the person
    /// is registered. `sub` by default.
    #[serde(default = "default_person_claim")]
    pub person_claim: String,
    /// The claim that names the municipality, e.g. `municipality`, or
    /// `tid` with a `municipality_map`. A list claim such as Entra ID's
    /// `groups` names the municipality by the one member the map turns into
    /// a municipality this issuer vouches for. `null`: the token carries
    /// none, and the issuer must vouch for exactly one municipality.
    #[serde(default = "default_municipality_claim")]
    pub municipality_claim: Option<String>,
    /// Maps a municipality claim value (e.g. an Entra ID tenant GUID) to a
    /// municipality id such as `tranemo`. Values not in the map are taken as
    /// the id itself.
    #[serde(default)]
    pub municipality_map: BTreeMap<String, String>,
    /// The municipalities this issuer may vouch for (ids such as
    /// `tranemo`). A token for any other municipality is refused. `["*"]`
    /// (any municipality) is accepted for development keys only.
    pub municipalities: Vec<String>,
    /// Where the verification keys come from.
    pub keys: KeySource,
}

fn default_person_claim() -> String {
    "sub".into()
}

fn default_municipality_claim() -> Option<String> {
    Some("municipality".into())
}

fn default_leeway_seconds() -> u64 {
    30
}

/// The wildcard in [`IssuerConfig::municipalities`] that development keys
/// may use.
pub const ANY_MUNICIPALITY: &str = "*";

impl AuthConfig {
    /// One trusted issuer, with the default leeway.
    pub fn single(issuer: IssuerConfig) -> Self {
        Self {
            issuers: vec![issuer],
            leeway_seconds: default_leeway_seconds(),
        }
    }

    /// Development configuration: HS256 tokens signed with `secret`, as
    /// minted by [`crate::mint_dev_token`], for any municipality (whose
    /// people must still be registered).
    pub fn dev(secret: &str, issuer: &str, audience: &str) -> Self {
        Self::single(IssuerConfig::new(
            issuer,
            audience,
            KeySource::DevHmac {
                secret: secret.to_owned(),
            },
            &[ANY_MUNICIPALITY],
        ))
    }
}

impl IssuerConfig {
    /// An issuer with the default claim names, vouching for `municipalities`.
    pub fn new(
        issuer: impl Into<String>,
        audience: impl Into<String>,
        keys: KeySource,
        municipalities: &[&str],
    ) -> Self {
        Self {
            issuer: issuer.into(),
            audience: audience.into(),
            person_claim: default_person_claim(),
            municipality_claim: default_municipality_claim(),
            municipality_map: BTreeMap::new(),
            municipalities: municipalities.iter().map(|m| (*m).to_owned()).collect(),
            keys,
        }
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
            r#"{"issuers": [
                {"issuer":"i","audience":"a","municipalities":["tranemo"],
                 "keys":{"jwks_url":{"url":"https://idp/keys","refresh":300}}},
                {"issuer":"j","audience":"a","municipalities":["ulricehamn"],
                 "municipality_claim":null,"person_claim":"oid",
                 "keys":{"jwks_file":"/etc/samverkan/ulricehamn.json"}}
            ]}"#,
        )
        .unwrap();
        assert_eq!(cfg.leeway_seconds, 30);
        let [a, b] = &cfg.issuers[..] else {
            panic!("two issuers")
        };
        assert_eq!(a.person_claim, "sub");
        assert_eq!(a.municipality_claim.as_deref(), Some("municipality"));
        assert_eq!(a.municipalities, ["tranemo"]);
        assert!(
            matches!(a.keys, KeySource::JwksUrl { ref url, refresh } if url == "https://idp/keys" && refresh == Duration::from_secs(300))
        );
        assert_eq!(b.person_claim, "oid");
        assert_eq!(b.municipality_claim, None);
    }

    #[test]
    fn an_issuer_must_say_whom_it_vouches_for() {
        let err = serde_json::from_str::<AuthConfig>(
            r#"{"issuers":[{"issuer":"i","audience":"a","keys":{"jwks_file":"k.json"}}]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("municipalities"), "{err}");
    }

    #[test]
    fn debug_hides_the_secret() {
        let cfg = AuthConfig::dev("hunter2", "i", "a");
        assert!(!format!("{cfg:?}").contains("hunter2"));
    }
}
