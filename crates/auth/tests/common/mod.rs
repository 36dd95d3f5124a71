//! Shared test helpers: fixture keys, token signing, a test directory.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use samverkan_auth::{AuthConfig, AuthError, KeySource, Verifier};
use samverkan_core::{ApiError, Directory, TenantId, TenantScope};
use serde_json::{Value, json};

pub const ISS: &str = "https://idp.test/samverkan";
pub const AUD: &str = "samverkan-api";
pub const RSA_KID: &str = "test-rsa-1";
pub const EC_KID: &str = "test-ec-1";
pub const DEV_SECRET: &str = "test-only-dev-secret";

pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

pub fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture(name)).expect("fixture")
}

pub fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

/// Claims that pass every check.
pub fn claims() -> Value {
    let now = now();
    json!({
        "sub": "anna.andersson@tranemo.se",
        "municipality": "tranemo",
        "iss": ISS,
        "aud": AUD,
        "iat": now,
        "nbf": now,
        "exp": now + 600,
    })
}

/// `claims()` with `changes` merged in (`null` removes a claim).
pub fn claims_with(changes: Value) -> Value {
    let mut c = claims();
    let map = c.as_object_mut().expect("object");
    for (k, v) in changes.as_object().expect("object") {
        if v.is_null() {
            map.remove(k);
        } else {
            map.insert(k.clone(), v.clone());
        }
    }
    c
}

pub fn rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&read_fixture("test-only-rsa-private.pem")).expect("rsa key")
}

pub fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&read_fixture("test-only-ec-p256-private.pem")).expect("ec key")
}

pub fn foreign_rsa_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&read_fixture("test-only-foreign-rsa-private.pem"))
        .expect("foreign key")
}

pub fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

pub fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, Some(RSA_KID), &rsa_key(), claims)
}

pub fn es256(claims: &Value) -> String {
    sign(Algorithm::ES256, Some(EC_KID), &ec_key(), claims)
}

/// A token assembled by hand, for headers jsonwebtoken refuses to write.
pub fn hand_made(header: &Value, claims: &Value, signature: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    format!(
        "{}.{}.{}",
        b64.encode(header.to_string()),
        b64.encode(claims.to_string()),
        b64.encode(signature)
    )
}

pub fn jwks_config() -> AuthConfig {
    AuthConfig::new(
        ISS,
        AUD,
        KeySource::JwksFile(fixture("test-only-jwks.json")),
    )
}

pub async fn jwks_verifier() -> Verifier {
    Verifier::new(jwks_config()).await.expect("jwks verifier")
}

pub async fn dev_verifier() -> Verifier {
    Verifier::new(AuthConfig::dev(DEV_SECRET, ISS, AUD))
        .await
        .expect("dev verifier")
}

/// Asserts `token` is refused with `expected`, and that the caller would
/// see UNAUTHENTICATED with that variant's message.
pub async fn assert_refused(verifier: &Verifier, token: &str, expected: AuthError, message: &str) {
    let err = verifier.verify(token).await.expect_err("token accepted");
    assert_eq!(err, expected);
    let status: tonic::Status = ApiError::from(err).into();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);
    assert_eq!(status.message(), message);
}

/// A deployment of one municipality: `tranemo`.
pub struct OneMember;

#[async_trait::async_trait]
impl Directory for OneMember {
    async fn resolve_scope(
        &self,
        tenant: &TenantId,
        _on: chrono::NaiveDate,
    ) -> Result<Option<TenantScope>, ApiError> {
        Ok((tenant.as_str() == "tranemo").then(|| TenantScope::private(tenant.clone())))
    }
}
