//! Token verification: the issuer the token names, algorithm pinning,
//! signature, registered claims, then the person and municipality claims,
//! and whether that issuer may vouch for that municipality.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use samverkan_core::{Principal, TenantId};
use serde_json::{Map, Value};

use crate::config::{ANY_MUNICIPALITY, AuthConfig, IssuerConfig, KeySource};
use crate::error::{AuthError, SetupError};
use crate::jwks::{JwksStore, parse_jwks};

/// Tokens longer than this are refused unread: real ones are a few KiB.
const MAX_TOKEN_LEN: usize = 16 * 1024;

/// Verifies bearer tokens. Cheap to clone (one `Arc`); clones share the
/// key caches and their background refresh.
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    issuers: Vec<Issuer>,
    leeway: u64,
}

/// One trusted issuer, ready to verify.
struct Issuer {
    issuer: String,
    audience: String,
    person_claim: String,
    municipality_claim: Option<String>,
    municipality_map: BTreeMap<String, String>,
    vouches_for: VouchesFor,
    keys: Keys,
}

/// The municipalities an issuer may vouch for.
enum VouchesFor {
    /// Development keys only.
    Any,
    Only(Vec<TenantId>),
}

enum Keys {
    /// Development: HS256 with one shared secret, nothing else.
    Hmac(DecodingKey),
    /// Production: RS256/ES256 keys by `kid`.
    Jwks(Arc<JwksStore>),
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let issuers: Vec<(&str, &str, &str)> = self
            .inner
            .issuers
            .iter()
            .map(|i| {
                let keys = match i.keys {
                    Keys::Hmac(_) => "dev-hmac",
                    Keys::Jwks(_) => "jwks",
                };
                (i.issuer.as_str(), i.audience.as_str(), keys)
            })
            .collect();
        f.debug_struct("Verifier")
            .field("issuers", &issuers)
            .finish_non_exhaustive()
    }
}

/// What a token says about itself before it is verified: for choosing the
/// issuer and for the log line of a refusal. Never trusted. Whole, as the
/// token has them (an Entra ID issuer is longer than a log line should
/// echo): [`TokenHints::for_log`] shortens them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenHints {
    /// Its `iss`.
    pub issuer: Option<String>,
    /// Its header's `kid`.
    pub kid: Option<String>,
}

impl TokenHints {
    /// Reads `iss` and `kid` without verifying anything.
    pub fn of(token: &str) -> Self {
        let mut parts = token.trim().split('.');
        let header = parts.next().and_then(json_part);
        let payload = parts.next().and_then(json_part);
        let field = |m: Option<&Map<String, Value>>, name: &str| {
            m.and_then(|m| m.get(name))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Self {
            issuer: field(payload.as_ref(), "iss"),
            kid: field(header.as_ref(), "kid"),
        }
    }
}

impl TokenHints {
    /// The hints shortened for a log line: at most 128 characters each.
    pub fn for_log(self) -> Self {
        let short = |v: Option<String>| v.map(|v| v.chars().take(128).collect());
        Self {
            issuer: short(self.issuer),
            kid: short(self.kid),
        }
    }
}

fn json_part(b64: &str) -> Option<Map<String, Value>> {
    if b64.len() > MAX_TOKEN_LEN {
        return None;
    }
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(b64.trim_end_matches('='))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

impl Verifier {
    /// Builds a verifier and loads every issuer's keys: reads the JWKS
    /// files, or fetches the JWKS URLs once (and starts refreshing them in
    /// the background, so this must run inside a Tokio runtime). Fails if
    /// an issuer is misconfigured or has no usable key.
    pub async fn new(config: AuthConfig) -> Result<Self, SetupError> {
        if config.issuers.is_empty() {
            return Err(SetupError::EmptySetting("issuers"));
        }
        let mut issuers = Vec::with_capacity(config.issuers.len());
        for cfg in config.issuers {
            if issuers.iter().any(|i: &Issuer| i.issuer == cfg.issuer) {
                return Err(SetupError::DuplicateIssuer(cfg.issuer));
            }
            issuers.push(Issuer::new(cfg).await?);
        }
        Ok(Self {
            inner: Arc::new(Inner {
                issuers,
                leeway: config.leeway_seconds,
            }),
        })
    }

    /// Fetches every JWKS URL again now (a no-op for other key sources).
    /// On failure the cached keys stay in use.
    pub async fn refresh_keys(&self) -> Result<(), SetupError> {
        for issuer in &self.inner.issuers {
            if let Keys::Jwks(store) = &issuer.keys {
                store.refresh().await?;
            }
        }
        Ok(())
    }

    /// How many background refreshes of the JWKS have failed so far (the
    /// cached keys kept serving meanwhile), over all issuers; 0 for fixed
    /// keys.
    pub fn failed_key_refreshes(&self) -> u64 {
        self.inner
            .issuers
            .iter()
            .map(|i| match &i.keys {
                Keys::Jwks(store) => store
                    .failed_refreshes
                    .load(std::sync::atomic::Ordering::Relaxed),
                Keys::Hmac(_) => 0,
            })
            .sum()
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
        let issuer = self.issuer_of(token)?;

        // Pin the algorithm before touching the signature: the issuer's key
        // source decides which algorithm is acceptable, never the token.
        // This is what stops HS256-signed-with-the-RSA-public-key confusion.
        let (alg, key) = match &issuer.keys {
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
        validation.set_issuer(&[&issuer.issuer]);
        validation.set_audience(&[&issuer.audience]);
        validation.validate_nbf = true;
        validation.leeway = self.inner.leeway;

        let data = jsonwebtoken::decode::<Map<String, Value>>(token, key.get(), &validation)
            .map_err(map_jwt_error)?;
        issuer.principal(&data.claims)
    }

    /// The configured issuer that must verify `token`: the one its `iss`
    /// names. With a single issuer, that one (its own check then refuses
    /// a wrong `iss`).
    fn issuer_of(&self, token: &str) -> Result<&Issuer, AuthError> {
        let issuers = &self.inner.issuers;
        if let [only] = &issuers[..] {
            return Ok(only);
        }
        let iss = TokenHints::of(token)
            .issuer
            .ok_or(AuthError::MissingClaim("iss".into()))?;
        issuers
            .iter()
            .find(|i| i.issuer == iss)
            .ok_or(AuthError::WrongIssuer)
    }
}

impl Issuer {
    async fn new(cfg: IssuerConfig) -> Result<Self, SetupError> {
        for (name, value) in [
            ("issuer", &cfg.issuer),
            ("audience", &cfg.audience),
            ("person_claim", &cfg.person_claim),
        ] {
            if value.is_empty() {
                return Err(SetupError::EmptySetting(name));
            }
        }
        if cfg.municipality_claim.as_deref() == Some("") {
            return Err(SetupError::EmptySetting("municipality_claim"));
        }
        let keys = match cfg.keys {
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
        let vouches_for = vouches_for(&cfg.issuer, &cfg.municipalities, &keys)?;
        if cfg.municipality_claim.is_none()
            && !matches!(&vouches_for, VouchesFor::Only(m) if m.len() == 1)
        {
            return Err(SetupError::Binding {
                issuer: cfg.issuer,
                problem: "without a municipality claim it must vouch for exactly one municipality"
                    .into(),
            });
        }
        Ok(Self {
            issuer: cfg.issuer,
            audience: cfg.audience,
            person_claim: cfg.person_claim,
            municipality_claim: cfg.municipality_claim,
            municipality_map: cfg.municipality_map,
            vouches_for,
            keys,
        })
    }

    fn principal(&self, claims: &Map<String, Value>) -> Result<Principal, AuthError> {
        let subject = string_claim(claims, &self.person_claim)
            .ok_or_else(|| AuthError::MissingPersonClaim(self.person_claim.clone()))?;
        let tenant = match (&self.municipality_claim, &self.vouches_for) {
            (None, VouchesFor::Only(m)) if m.len() == 1 => m[0].clone(),
            (None, _) => return Err(AuthError::Malformed),
            (Some(claim), _) => match claims.get(claim) {
                // A list, such as Entra ID's `groups`: the one member that
                // maps to a municipality this issuer vouches for.
                Some(Value::Array(values)) => self.municipality_of_groups(claim, values)?,
                _ => {
                    let value = string_claim(claims, claim)
                        .ok_or_else(|| AuthError::MissingMunicipalityClaim(claim.clone()))?;
                    // An Entra ID tenant id (or any other IdP value) maps to
                    // our code; anything unmapped is taken to be the code.
                    let code = self
                        .municipality_map
                        .get(value)
                        .map_or(value, String::as_str);
                    TenantId::parse(code).map_err(|_| AuthError::InvalidMunicipality(clip(code)))?
                }
            },
        };
        if let VouchesFor::Only(bound) = &self.vouches_for
            && !bound.contains(&tenant)
        {
            return Err(AuthError::IssuerNotBound(tenant.to_string()));
        }
        Ok(Principal {
            subject: subject.to_owned(),
            tenant,
        })
    }
}

impl Issuer {
    /// The municipality a list claim names: its members that
    /// `municipality_map` maps (other groups are not about municipalities),
    /// among those the issuer vouches for. Exactly one must remain.
    fn municipality_of_groups(&self, claim: &str, values: &[Value]) -> Result<TenantId, AuthError> {
        let mut found: Vec<TenantId> = Vec::new();
        for code in values
            .iter()
            .filter_map(Value::as_str)
            .filter_map(|v| self.municipality_map.get(v))
        {
            let id =
                TenantId::parse(code).map_err(|_| AuthError::InvalidMunicipality(clip(code)))?;
            let vouched = match &self.vouches_for {
                VouchesFor::Any => true,
                VouchesFor::Only(bound) => bound.contains(&id),
            };
            if vouched && !found.contains(&id) {
                found.push(id);
            }
        }
        match &found[..] {
            [one] => Ok(one.clone()),
            [] => Err(AuthError::MissingMunicipalityClaim(claim.to_owned())),
            several => Err(AuthError::AmbiguousMunicipality(clip(
                &several
                    .iter()
                    .map(TenantId::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
            ))),
        }
    }
}

/// Parses an issuer's `municipalities`: ids, or the wildcard for
/// development keys only.
fn vouches_for(
    issuer: &str,
    municipalities: &[String],
    keys: &Keys,
) -> Result<VouchesFor, SetupError> {
    let problem = |p: String| SetupError::Binding {
        issuer: issuer.to_owned(),
        problem: p,
    };
    if municipalities.is_empty() {
        return Err(problem(
            "municipalities must name at least one municipality".into(),
        ));
    }
    if municipalities.iter().any(|m| m == ANY_MUNICIPALITY) {
        return match keys {
            Keys::Hmac(_) if municipalities.len() == 1 => Ok(VouchesFor::Any),
            Keys::Hmac(_) => Err(problem("\"*\" must stand alone".into())),
            Keys::Jwks(_) => Err(problem(
                "\"*\" (any municipality) is for development keys only; list the municipalities"
                    .into(),
            )),
        };
    }
    let mut ids = Vec::with_capacity(municipalities.len());
    for m in municipalities {
        let id = TenantId::parse(m.trim())
            .map_err(|_| problem(format!("{m:?} is not a municipality id")))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(VouchesFor::Only(ids))
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
