//! Token verification: algorithm pinning, signature, registered claims,
//! then the person and municipality claims.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use samverkan_core::{Principal, TenantId};
use serde_json::{Map, Value};

use crate::config::{AuthConfig, KeySource};
use crate::error::{AuthError, SetupError};
use crate::jwks::{JwksStore, parse_jwks};

/// Tokens longer than this are refused unread: real ones are a few KiB.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Verifies bearer tokens. Cheap to clone (one `Arc`); clones share the
/// key cache and its background refresh.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    keys: Keys,
    person_claim: String,
    municipality_claim: String,
    municipality_map: BTreeMap<String, String>,
    issuer: String,
    audience: String,
    leeway: u64,
}

enum Keys {
    /// Development: HS256 with one shared secret, nothing else.
    Hmac(DecodingKey),
    /// Production: RS256/ES256 keys by `kid`.
    Jwks(Arc<JwksStore>),
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let keys = match self.inner.keys {
            Keys::Hmac(_) => "dev-hmac",
            Keys::Jwks(_) => "jwks",
        };
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.issuer)
            .field("audience", &self.inner.audience)
            .field("keys", &keys)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Builds a verifier and loads its keys: reads the JWKS file, or fetches
    /// the JWKS URL once (and starts refreshing it in the background, so this
    /// must run inside a Tokio runtime). Fails if no usable key is found.
    pub async fn new(config: AuthConfig) -> Result<Self, SetupError> {
        for (name, value) in [
            ("issuer", &config.issuer),
            ("audience", &config.audience),
            ("person_claim", &config.person_claim),
            ("municipality_claim", &config.municipality_claim),
        ] {
            if value.is_empty() {
                return Err(SetupError::EmptySetting(name));
            }
        }
        let keys = match config.keys {
            KeySource::DevHmac { secret } => {
                if secret.is_empty() {
                    return Err(SetupError::EmptySetting("dev hmac secret"));
                }
                Keys::Hmac(DecodingKey::from_secret(secret.as_bytes()))
            }
            KeySource::JwksFile(path) => {
                let bytes = std::fs::read(&path)
                    .map_err(|source| SetupError::ReadJwksFile { path, source })?;
                Keys::Jwks(Arc::new(JwksStore::fixed(parse_jwks(&bytes)?)))
            }
            KeySource::JwksUrl { url, refresh } => {
                Keys::Jwks(JwksStore::remote(url, refresh).await?)
            }
        };
        Ok(Self {
            inner: Arc::new(Inner {
                keys,
                person_claim: config.person_claim,
                municipality_claim: config.municipality_claim,
                municipality_map: config.municipality_map,
                issuer: config.issuer,
                audience: config.audience,
                leeway: config.leeway_seconds,
            }),
        })
    }

    /// Fetches the JWKS URL again now (a no-op for other key sources). On
    /// failure the cached keys stay in use.
    pub async fn refresh_keys(&self) -> Result<(), SetupError> {
        match &self.inner.keys {
            Keys::Jwks(store) => store.refresh().await,
            Keys::Hmac(_) => Ok(()),
        }
    }

    /// How many background refreshes of the JWKS have failed so far (the
    /// cached keys kept serving meanwhile); 0 for fixed keys.
    pub fn failed_key_refreshes(&self) -> u64 {
        match &self.inner.keys {
            Keys::Jwks(store) => store
                .failed_refreshes
                .load(std::sync::atomic::Ordering::Relaxed),
            Keys::Hmac(_) => 0,
        }
    }

    /// Verifies a JWT (without the `Bearer ` prefix) and returns who it
    /// names. Every refusal is an [`AuthError`] saying which check failed.
    pub async fn verify(&self, bearer_token: &str) -> Result<Principal, AuthError> {
        let token = bearer_token.trim();
        if token.is_empty() {
            return Err(AuthError::MissingBearer);
        }
        if token.len() > MAX_TOKEN_LEN {
            return Err(AuthError::Malformed);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| unparsable_header(token))?;

        // Pin the algorithm before touching the signature: the key source
        // decides which algorithm is acceptable, never the token. This is
        // what stops HS256-signed-with-the-RSA-public-key confusion.
        let (alg, key) = match &self.inner.keys {
            Keys::Hmac(key) => {
                if header.alg != Algorithm::HS256 {
                    return Err(AuthError::AlgorithmNotAccepted(format!("{:?}", header.alg)));
                }
                (Algorithm::HS256, KeyRef::Borrowed(key))
            }
            Keys::Jwks(store) => {
                if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
                    return Err(AuthError::AlgorithmNotAccepted(format!("{:?}", header.alg)));
                }
                let kid = header
                    .kid
                    .as_deref()
                    .filter(|k| !k.is_empty())
                    .ok_or(AuthError::MissingKeyId)?;
                let key = store
                    .get(kid)
                    .await
                    .ok_or_else(|| AuthError::UnknownKey(clip(kid)))?;
                if key.alg != header.alg {
                    return Err(AuthError::KeyAlgorithmMismatch);
                }
                (key.alg, KeyRef::Shared(key))
            }
        };

        let mut validation = Validation::new(alg);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.set_issuer(&[&self.inner.issuer]);
        validation.set_audience(&[&self.inner.audience]);
        validation.validate_nbf = true;
        validation.leeway = self.inner.leeway;

        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key.get(), &validation)
            .map_err(map_jwt_error)?;
        self.principal(&data.claims)
    }

    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, AuthError> {
        let inner = &self.inner;
        let subject = string_claim(claims, &inner.person_claim)
            .ok_or_else(|| AuthError::MissingPersonClaim(inner.person_claim.clone()))?;
        let value = string_claim(claims, &inner.municipality_claim)
            .ok_or_else(|| AuthError::MissingMunicipalityClaim(inner.municipality_claim.clone()))?;
        // An Entra ID tenant id (or any other IdP value) maps to our code;
        // anything unmapped is taken to be the code itself.
        let code = inner
            .municipality_map
            .get(value)
            .map_or(value, String::as_str);
        let tenant =
            TenantId::parse(code).map_err(|_| AuthError::InvalidMunicipality(clip(code)))?;
        Ok(Principal {
            subject: subject.to_owned(),
            tenant,
        })
    }
}

/// A key borrowed from the verifier or shared from the JWKS cache (which a
/// refresh may replace while this request is being verified).
enum KeyRef<'a> {
    Borrowed(&'a DecodingKey),
    Shared(Arc<crate::jwks::VerifyKey>),
}

impl KeyRef<'_> {
    fn get(&self) -> &DecodingKey {
        match self {
            Self::Borrowed(k) => k,
            Self::Shared(k) => &k.key,
        }
    }
}

fn string_claim<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
}

/// jsonwebtoken refuses a header whose `alg` it does not know (notably
/// `none`) as a JSON error. Look inside so the caller learns why.
fn unparsable_header(token: &str) -> AuthError {
    let alg = token
        .split('.')
        .next()
        .and_then(|h| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(h.trim_end_matches('='))
                .ok()
        })
        .and_then(|bytes| serde_json::from_slice::<Map<String, Value>>(&bytes).ok())
        .and_then(|h| h.get("alg").and_then(Value::as_str).map(str::to_owned));
    match alg {
        Some(a) if a.eq_ignore_ascii_case("none") => AuthError::AlgNone,
        Some(a) => AuthError::AlgorithmNotAccepted(clip(&a)),
        None => AuthError::Malformed,
    }
}

fn map_jwt_error(e: jsonwebtoken::errors::Error) -> AuthError {
    match e.into_kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::MissingRequiredClaim(c) => AuthError::MissingClaim(c),
        ErrorKind::InvalidAlgorithm => AuthError::KeyAlgorithmMismatch,
        ErrorKind::InvalidSignature
        | ErrorKind::InvalidEcdsaKey
        | ErrorKind::InvalidRsaKey(_)
        | ErrorKind::InvalidKeyFormat => AuthError::BadSignature,
        // Bad base64, bad JSON, bad UTF-8, wrong shape, non-numeric exp…
        _ => AuthError::Malformed,
    }
}

/// Echoes at most 64 characters of something the caller sent.
fn clip(s: &str) -> String {
    s.chars().take(64).collect()
}
