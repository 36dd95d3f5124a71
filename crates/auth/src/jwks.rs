//! The JWKS key store: parsing, fetching, background refresh, and the
//! rate-limited refresh on an unknown key id.

use std::collections::HashMap;
use std::sync::{Arc, RwLock, Weak};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use tracing::{debug, info, warn};

use crate::error::SetupError;

/// An unknown `kid` may mean the identity provider rotated its keys since
/// the last refresh; but anyone can send any `kid`, so at most one
/// immediate refresh per this interval, or a flood of junk tokens would
/// become a flood of requests to the identity provider.
pub(crate) const UNKNOWN_KID_COOLDOWN: Duration = Duration::from_secs(30);

/// How long one JWKS fetch may take before it counts as failed.
const FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// A verification key and the one algorithm it may be used with.
pub(crate) struct VerifyKey {
    pub alg: Algorithm,
    pub key: DecodingKey,
}

pub(crate) type KeyMap = HashMap<String, Arc<VerifyKey>>;

/// Parses a JWKS document, keeping only keys usable for RS256 or ES256.
/// Other keys (encryption keys, HMAC, other curves, keys without `kid`)
/// are skipped rather than failing the whole set: identity providers
/// publish such keys next to the signing keys.
pub(crate) fn parse_jwks(bytes: &[u8]) -> Result<KeyMap, SetupError> {
    #[derive(serde::Deserialize)]
    struct RawSet {
        keys: Vec<serde_json::Value>,
    }
    let raw: RawSet = serde_json::from_slice(bytes).map_err(SetupError::InvalidJwks)?;
    let mut out = KeyMap::new();
    for value in raw.keys {
        // Parsed one by one so a key of a kind jsonwebtoken cannot read
        // does not hide the good ones.
        let jwk: Jwk = match serde_json::from_value(value) {
            Ok(j) => j,
            Err(e) => {
                debug!(error = %e, "skipping unreadable jwk");
                continue;
            }
        };
        let Some(kid) = jwk.common.key_id.clone() else {
            debug!("skipping jwk without kid");
            continue;
        };
        if matches!(jwk.common.public_key_use, Some(ref u) if *u != PublicKeyUse::Signature) {
            debug!(%kid, "skipping jwk not meant for signatures");
            continue;
        }
        let Some(alg) = signing_alg(&jwk) else {
            debug!(%kid, "skipping jwk: not an RS256 or ES256 (P-256) key");
            continue;
        };
        match DecodingKey::from_jwk(&jwk) {
            Ok(key) => {
                out.insert(kid, Arc::new(VerifyKey { alg, key }));
            }
            Err(e) => warn!(%kid, error = %e, "skipping invalid jwk"),
        }
    }
    if out.is_empty() {
        return Err(SetupError::NoUsableKeys);
    }
    Ok(out)
}

/// The algorithm a key is pinned to: its declared `alg` when present,
/// otherwise what its `kty` (and curve) imply. Only RS256 and ES256.
fn signing_alg(jwk: &Jwk) -> Option<Algorithm> {
    let implied = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Algorithm::RS256,
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => Algorithm::ES256,
        _ => return None,
    };
    match jwk.common.key_algorithm {
        None => Some(implied),
        Some(KeyAlgorithm::RS256) if implied == Algorithm::RS256 => Some(implied),
        Some(KeyAlgorithm::ES256) if implied == Algorithm::ES256 => Some(implied),
        // A declared alg that disagrees with the key type, or any other alg.
        Some(_) => None,
    }
}

/// The current key set, swapped whole on refresh.
pub(crate) struct JwksStore {
    keys: RwLock<Arc<KeyMap>>,
    remote: Option<Remote>,
    /// Background refreshes that failed (the cached keys kept serving).
    pub(crate) failed_refreshes: std::sync::atomic::AtomicU64,
}

struct Remote {
    url: String,
    client: reqwest::Client,
    /// When the last unknown-kid refresh started. A tokio mutex because it
    /// is held across the fetch: concurrent requests with the same new kid
    /// wait for that one fetch instead of starting their own.
    last_forced: tokio::sync::Mutex<Option<Instant>>,
}

impl JwksStore {
    /// A store over a fixed key set (a JWKS file).
    pub(crate) fn fixed(keys: KeyMap) -> Self {
        Self {
            keys: RwLock::new(Arc::new(keys)),
            remote: None,
            failed_refreshes: Default::default(),
        }
    }

    /// Fetches `url` once (failing if that fails) and refreshes it every
    /// `every` in a background task that ends when the store is dropped.
    pub(crate) async fn remote(url: String, every: Duration) -> Result<Arc<Self>, SetupError> {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .map_err(SetupError::HttpClient)?;
        let keys = fetch(&client, &url).await?;
        info!(%url, keys = keys.len(), "jwks loaded");
        let store = Arc::new(Self {
            keys: RwLock::new(Arc::new(keys)),
            remote: Some(Remote {
                url,
                client,
                last_forced: tokio::sync::Mutex::new(None),
            }),
            failed_refreshes: Default::default(),
        });
        tokio::spawn(refresh_loop(
            Arc::downgrade(&store),
            every.max(Duration::from_secs(1)),
        ));
        Ok(store)
    }

    fn lookup(&self, kid: &str) -> Option<Arc<VerifyKey>> {
        // A poisoned lock only means a writer panicked mid-swap; the Arc
        // inside is still a complete key set.
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        keys.get(kid).cloned()
    }

    /// The key for `kid`; on a miss, refreshes once (rate-limited) first.
    pub(crate) async fn get(&self, kid: &str) -> Option<Arc<VerifyKey>> {
        if let Some(k) = self.lookup(kid) {
            return Some(k);
        }
        let remote = self.remote.as_ref()?;
        let mut last = remote.last_forced.lock().await;
        // Someone else may have refreshed while this request waited.
        if let Some(k) = self.lookup(kid) {
            return Some(k);
        }
        if last.is_some_and(|t| t.elapsed() < UNKNOWN_KID_COOLDOWN) {
            return None;
        }
        *last = Some(Instant::now());
        debug!(url = %remote.url, "unknown kid: refreshing jwks now");
        if let Err(e) = self.refresh().await {
            warn!(url = %remote.url, error = %error_chain(&e), "jwks refresh failed; keeping the cached keys");
        }
        self.lookup(kid)
    }

    /// Fetches the key set again and swaps it in. On failure the cached
    /// keys stay: an identity provider hiccup must not lock everyone out.
    pub(crate) async fn refresh(&self) -> Result<(), SetupError> {
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        let keys = fetch(&remote.client, &remote.url).await?;
        debug!(url = %remote.url, keys = keys.len(), "jwks refreshed");
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(keys);
        Ok(())
    }
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<KeyMap, SetupError> {
    let wrap = |source| SetupError::FetchJwks {
        url: url.to_owned(),
        source,
    };
    let body = client
        .get(url)
        .send()
        .await
        .and_then(|r| r.error_for_status())
        .map_err(wrap)?
        .bytes()
        .await
        .map_err(wrap)?;
    parse_jwks(&body)
}

async fn refresh_loop(store: Weak<JwksStore>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        // The verifier is gone: nobody needs these keys any more.
        let Some(store) = store.upgrade() else { return };
        if let Err(e) = store.refresh().await {
            store
                .failed_refreshes
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let url = store
                .remote
                .as_ref()
                .map(|r| r.url.as_str())
                .unwrap_or_default();
            warn!(%url, error = %error_chain(&e), "jwks refresh failed; keeping the cached keys");
        }
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSA: &str = r#""kty":"RSA","n":"4e0yokeOXS3-8SUBckBUsEikRdtR5mqQSU3emSkHxjYzVReippiMGDohHD_gwI_d-GXcu_2omIhkzNoAq9adKnmVae2dvxbMBy_vCUESpH-ROmN7rCmvtspDmzuV6okN3zxO0mZlZlcyYjIxppI9fnNhAzJi26K0CtsnVWkJHPOP9lHRvE7NHCosoHsgznvVJfLNs2xPuO_rlATddwjqjHZb-NwPEXeQoWp-pOfshZWJbCV_QwqgLaTKOT4WNjUVsFrGEMi8T_S2c86xjSv2lkKbioZMCwfRDA_pepfrfkefFFgs-p0-q8kujGTgURDAP4gXRXOE0H54KC8KEVbGjw","e":"AQAB""#;

    #[test]
    fn keeps_only_signing_keys_it_can_pin() {
        let doc = format!(
            r#"{{"keys":[
                {{{RSA},"kid":"r"}},
                {{{RSA},"kid":"ps","alg":"PS256"}},
                {{{RSA},"kid":"enc","use":"enc"}},
                {{{RSA}}},
                {{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}},
                {{"kty":"EC","kid":"p384","crv":"P-384","x":"AA","y":"AA"}},
                {{"kty":"weird","kid":"w"}}
            ]}}"#
        );
        let keys = parse_jwks(doc.as_bytes()).unwrap();
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["r"]);
        assert_eq!(keys["r"].alg, Algorithm::RS256);
    }

    #[test]
    fn a_set_without_usable_keys_is_an_error() {
        assert!(matches!(
            parse_jwks(br#"{"keys":[]}"#),
            Err(SetupError::NoUsableKeys)
        ));
        assert!(matches!(
            parse_jwks(b"not json"),
            Err(SetupError::InvalidJwks(_))
        ));
    }
}
