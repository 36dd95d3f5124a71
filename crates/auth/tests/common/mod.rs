//! Shared test helpers: fixture keys, token signing, a test directory.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::PathBuf;

use base64::Engine as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use samverkan_auth::{AuthConfig, AuthError, IssuerConfig, KeySource, Verifier};
use samverkan_core::{ApiError, Caller, Directory, RequestContext, TenantId, TenantScope};
use serde_json::{Value, json};

pub const ISS: &str = "https://idp.test/samverkan";
/// A second identity provider: Ulricehamn's own Entra ID tenant (an
/// issuer of 75 characters, as Entra ID's v2 issuers are).
pub const ISS2: &str =
    "https://login.microsoftonline.com/22222222-2222-4222-8222-222222222222/v2.0";
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

/// One issuer with `keys`, vouching for the two test municipalities.
pub fn config(keys: KeySource) -> AuthConfig {
    AuthConfig::single(IssuerConfig::new(
        ISS,
        AUD,
        keys,
        &["tranemo", "ulricehamn"],
    ))
}

pub fn jwks_config() -> AuthConfig {
    config(KeySource::JwksFile(fixture("test-only-jwks.json")))
}

/// A JWKS file holding only the fixture key `kid`, written for this test
/// process (each issuer of a two-issuer test has a key set of its own).
pub fn jwks_file_with(kid: &str) -> PathBuf {
    let mut set: Value =
        serde_json::from_slice(&read_fixture("test-only-jwks.json")).expect("jwks");
    set["keys"]
        .as_array_mut()
        .expect("keys")
        .retain(|k| k["kid"] == kid);
    let path = std::env::temp_dir().join(format!(
        "samverkan-auth-test-{}-{kid}.json",
        std::process::id()
    ));
    std::fs::write(&path, set.to_string()).expect("write jwks");
    path
}

/// Two issuers: [`ISS`] signs with the RSA key for Tranemo, [`ISS2`] with
/// the EC key for Ulricehamn, which takes no municipality claim.
pub fn two_issuers() -> AuthConfig {
    let tranemo = IssuerConfig::new(
        ISS,
        AUD,
        KeySource::JwksFile(jwks_file_with(RSA_KID)),
        &["tranemo"],
    );
    let mut ulricehamn = IssuerConfig::new(
        ISS2,
        AUD,
        KeySource::JwksFile(jwks_file_with(EC_KID)),
        &["ulricehamn"],
    );
    ulricehamn.municipality_claim = None;
    ulricehamn.person_claim = "oid".into();
    AuthConfig {
        issuers: vec![tranemo, ulricehamn],
        leeway_seconds: 30,
    }
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

/// The registered person of [`OneMember`] who holds a role.
pub const ASSIGNED: &str = "anna.andersson@tranemo.se";
/// The registered person of [`OneMember`] who holds no role or seat.
pub const UNASSIGNED: &str = "nils.utan.roll@tranemo.se";

/// A deployment of one municipality, `tranemo`, with two registered people.
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

    async fn resolve_caller(&self, ctx: &RequestContext) -> Result<Caller, ApiError> {
        let tenant = &ctx.principal.tenant;
        let scope = self
            .resolve_scope(tenant, ctx.today)
            .await?
            .ok_or_else(|| {
                ApiError::PermissionDenied(format!(
                    "municipality {tenant} is not a member of this deployment"
                ))
            })?;
        let assigned = match ctx.principal.subject.as_str() {
            ASSIGNED => true,
            UNASSIGNED => false,
            other => {
                return Err(ApiError::PermissionDenied(format!(
                    "{other} is not a registered person of {tenant}"
                )));
            }
        };
        Ok(Caller { scope, assigned })
    }
}
