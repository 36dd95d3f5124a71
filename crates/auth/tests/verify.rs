//! Token verification: what is accepted, and each reason for refusal.

mod common;

use std::time::Duration;

use common::*;
use jsonwebtoken::{Algorithm, EncodingKey};
use samverkan_auth::{
    AuthConfig, AuthError, IssuerConfig, KeySource, SetupError, Verifier, mint_dev_token,
};
use serde_json::{Value, json};

#[tokio::test]
async fn valid_rs256_token_passes() {
    let p = jwks_verifier()
        .await
        .verify(&rs256(&claims()))
        .await
        .expect("rs256 accepted");
    assert_eq!(p.subject, "anna.andersson@tranemo.se");
    assert_eq!(p.tenant.as_str(), "tranemo");
}

#[tokio::test]
async fn valid_es256_token_passes() {
    let p = jwks_verifier()
        .await
        .verify(&es256(&claims()))
        .await
        .expect("es256 accepted");
    assert_eq!(p.tenant.as_str(), "tranemo");
}

#[tokio::test]
async fn valid_dev_hs256_token_passes() {
    let token = mint_dev_token(
        DEV_SECRET,
        ISS,
        AUD,
        "kalle@ulricehamn.se",
        "ulricehamn",
        Duration::from_secs(60),
    )
    .unwrap();
    let p = dev_verifier()
        .await
        .verify(&token)
        .await
        .expect("dev token accepted");
    assert_eq!(p.subject, "kalle@ulricehamn.se");
    assert_eq!(p.tenant.as_str(), "ulricehamn");
}

#[tokio::test]
async fn dev_token_with_another_secret_is_refused() {
    let token = mint_dev_token(
        "another-secret",
        ISS,
        AUD,
        "kalle",
        "ulricehamn",
        Duration::from_secs(60),
    )
    .unwrap();
    assert_refused(
        &dev_verifier().await,
        &token,
        AuthError::BadSignature,
        "token signature invalid",
    )
    .await;
}

#[tokio::test]
async fn empty_token_is_missing_bearer() {
    let v = jwks_verifier().await;
    let err = v.verify("  ").await.unwrap_err();
    assert_eq!(err, AuthError::MissingBearer);
    assert!(err.to_string().starts_with("missing bearer token"));
}

#[tokio::test]
async fn malformed_tokens_are_refused() {
    let v = jwks_verifier().await;
    for bad in [
        "not-a-jwt".to_owned(),
        "a.b.c".to_owned(),
        "!!!.@@@.###".to_owned(),
        "x".repeat(20_000),
        // Correctly signed, but the payload is no claim set.
        rs256(&json!("a string, not an object")),
    ] {
        assert_refused(&v, &bad, AuthError::Malformed, "token malformed").await;
    }
}

#[tokio::test]
async fn expired_token_is_refused() {
    let c = claims_with(json!({ "iat": now() - 7200, "nbf": now() - 7200, "exp": now() - 3600 }));
    assert_refused(
        &jwks_verifier().await,
        &rs256(&c),
        AuthError::Expired,
        "token expired",
    )
    .await;
}

#[tokio::test]
async fn clock_skew_within_leeway_is_tolerated() {
    // Expired 10 s ago, not valid for another 10 s: both inside the 30 s leeway.
    let c = claims_with(json!({ "exp": now() - 10 }));
    jwks_verifier()
        .await
        .verify(&rs256(&c))
        .await
        .expect("within leeway");
    let c = claims_with(json!({ "nbf": now() + 10 }));
    jwks_verifier()
        .await
        .verify(&rs256(&c))
        .await
        .expect("within leeway");
}

#[tokio::test]
async fn not_yet_valid_token_is_refused() {
    let c = claims_with(json!({ "nbf": now() + 3600, "exp": now() + 7200 }));
    assert_refused(
        &jwks_verifier().await,
        &rs256(&c),
        AuthError::NotYetValid,
        "token not yet valid",
    )
    .await;
}

#[tokio::test]
async fn wrong_issuer_is_refused() {
    let c = claims_with(json!({ "iss": "https://evil.example/" }));
    assert_refused(
        &jwks_verifier().await,
        &rs256(&c),
        AuthError::WrongIssuer,
        "token issuer not accepted",
    )
    .await;
}

#[tokio::test]
async fn wrong_audience_is_refused() {
    let c = claims_with(json!({ "aud": ["some-other-api"] }));
    assert_refused(
        &jwks_verifier().await,
        &rs256(&c),
        AuthError::WrongAudience,
        "token audience not accepted",
    )
    .await;
}

#[tokio::test]
async fn audience_list_containing_ours_passes() {
    let c = claims_with(json!({ "aud": ["some-other-api", AUD] }));
    jwks_verifier()
        .await
        .verify(&rs256(&c))
        .await
        .expect("aud list with ours");
}

#[tokio::test]
async fn missing_exp_iss_or_aud_is_refused() {
    let v = jwks_verifier().await;
    for claim in ["exp", "iss", "aud"] {
        let c = claims_with(json!({ claim: null }));
        let msg = format!("token lacks the required claim {claim:?}");
        assert_refused(&v, &rs256(&c), AuthError::MissingClaim(claim.into()), &msg).await;
    }
    // jsonwebtoken counts an `exp` that is no number as absent.
    let c = claims_with(json!({ "exp": "tomorrow" }));
    let msg = "token lacks the required claim \"exp\"";
    assert_refused(&v, &rs256(&c), AuthError::MissingClaim("exp".into()), msg).await;
}

#[tokio::test]
async fn alg_none_is_refused_with_a_clear_message() {
    let header = json!({ "alg": "none", "typ": "JWT" });
    for v in [jwks_verifier().await, dev_verifier().await] {
        let token = hand_made(&header, &claims(), b"");
        assert_refused(
            &v,
            &token,
            AuthError::AlgNone,
            "unsigned token (alg none) not accepted",
        )
        .await;
        // Spelling games do not help.
        let token = hand_made(&json!({ "alg": "NoNe" }), &claims(), b"");
        assert_refused(
            &v,
            &token,
            AuthError::AlgNone,
            "unsigned token (alg none) not accepted",
        )
        .await;
    }
}

#[tokio::test]
async fn token_signed_by_a_foreign_key_with_our_kid_is_refused() {
    let token = sign(
        Algorithm::RS256,
        Some(RSA_KID),
        &foreign_rsa_key(),
        &claims(),
    );
    assert_refused(
        &jwks_verifier().await,
        &token,
        AuthError::BadSignature,
        "token signature invalid",
    )
    .await;
}

#[tokio::test]
async fn tampered_claims_are_refused() {
    let token = rs256(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = hand_made(
        &json!({}),
        &claims_with(json!({ "municipality": "ulricehamn" })),
        b"",
    );
    let forged_claims = forged.split('.').nth(1).unwrap();
    let token = format!("{}.{}.{}", parts[0], forged_claims, parts[2]);
    assert_refused(
        &jwks_verifier().await,
        &token,
        AuthError::BadSignature,
        "token signature invalid",
    )
    .await;
}

#[tokio::test]
async fn unknown_kid_is_refused() {
    let token = sign(
        Algorithm::RS256,
        Some("rotated-away"),
        &rsa_key(),
        &claims(),
    );
    let msg = "token signed by an unknown key (kid \"rotated-away\")";
    assert_refused(
        &jwks_verifier().await,
        &token,
        AuthError::UnknownKey("rotated-away".into()),
        msg,
    )
    .await;
}

#[tokio::test]
async fn missing_kid_is_refused() {
    let token = sign(Algorithm::RS256, None, &rsa_key(), &claims());
    assert_refused(
        &jwks_verifier().await,
        &token,
        AuthError::MissingKeyId,
        "token has no key id (kid)",
    )
    .await;
}

#[tokio::test]
async fn hs256_signed_with_the_rsa_public_key_is_refused() {
    // Algorithm confusion: a verifier that let the token pick the algorithm
    // would check this HMAC with the (public!) RSA key bytes and accept it.
    let public_pem = read_fixture("test-only-rsa-public.pem");
    let token = sign(
        Algorithm::HS256,
        Some(RSA_KID),
        &EncodingKey::from_secret(&public_pem),
        &claims(),
    );
    let msg = "token algorithm HS256 not accepted";
    assert_refused(
        &jwks_verifier().await,
        &token,
        AuthError::AlgorithmNotAccepted("HS256".into()),
        msg,
    )
    .await;
}

#[tokio::test]
async fn algorithm_must_match_the_key() {
    // RS256 naming the EC key's kid.
    let token = sign(Algorithm::RS256, Some(EC_KID), &rsa_key(), &claims());
    let msg = "token algorithm does not match its key";
    assert_refused(
        &jwks_verifier().await,
        &token,
        AuthError::KeyAlgorithmMismatch,
        msg,
    )
    .await;
}

#[tokio::test]
async fn other_algorithms_are_refused_with_jwks() {
    let token = sign(Algorithm::PS256, Some(RSA_KID), &rsa_key(), &claims());
    let msg = "token algorithm PS256 not accepted";
    assert_refused(
        &jwks_verifier().await,
        &token,
        AuthError::AlgorithmNotAccepted("PS256".into()),
        msg,
    )
    .await;
}

#[tokio::test]
async fn dev_verifier_accepts_only_hs256() {
    let msg = "token algorithm RS256 not accepted";
    assert_refused(
        &dev_verifier().await,
        &rs256(&claims()),
        AuthError::AlgorithmNotAccepted("RS256".into()),
        msg,
    )
    .await;
}

#[tokio::test]
async fn missing_person_or_municipality_claim_is_refused() {
    let v = jwks_verifier().await;
    let c = claims_with(json!({ "sub": null }));
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::MissingPersonClaim("sub".into()),
        "token lacks the person claim \"sub\"",
    )
    .await;
    let c = claims_with(json!({ "sub": "" }));
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::MissingPersonClaim("sub".into()),
        "token lacks the person claim \"sub\"",
    )
    .await;
    let c = claims_with(json!({ "municipality": null }));
    let msg = "token lacks the municipality claim \"municipality\"";
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::MissingMunicipalityClaim("municipality".into()),
        msg,
    )
    .await;
    let c = claims_with(json!({ "municipality": ["tranemo"] }));
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::MissingMunicipalityClaim("municipality".into()),
        msg,
    )
    .await;
}

#[tokio::test]
async fn configured_claim_names_are_used() {
    let mut cfg = jwks_config();
    cfg.issuers[0].person_claim = "email".into();
    let v = Verifier::new(cfg).await.unwrap();
    let c = claims_with(json!({ "sub": "0f3c-opaque", "email": "eva@tranemo.se" }));
    assert_eq!(
        v.verify(&rs256(&c)).await.unwrap().subject,
        "eva@tranemo.se"
    );
    let msg = "token lacks the person claim \"email\"";
    assert_refused(
        &v,
        &rs256(&claims()),
        AuthError::MissingPersonClaim("email".into()),
        msg,
    )
    .await;
}

#[tokio::test]
async fn municipality_map_turns_an_entra_tenant_id_into_a_code() {
    let guid = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    let mut cfg = jwks_config();
    cfg.issuers[0].municipality_claim = Some("tid".into());
    cfg.issuers[0]
        .municipality_map
        .insert(guid.into(), "tranemo".into());
    let v = Verifier::new(cfg).await.unwrap();
    let c = claims_with(json!({ "municipality": null, "tid": guid }));
    assert_eq!(
        v.verify(&rs256(&c)).await.unwrap().tenant.as_str(),
        "tranemo"
    );
    // Unmapped values are taken as the code itself.
    let c = claims_with(json!({ "municipality": null, "tid": "ulricehamn" }));
    assert_eq!(
        v.verify(&rs256(&c)).await.unwrap().tenant.as_str(),
        "ulricehamn"
    );
    // An unmapped GUID is no municipality code.
    let other = "00000000-0000-0000-0000-000000000000";
    let c = claims_with(json!({ "municipality": null, "tid": other }));
    let msg = format!("token municipality {other:?} is not a valid municipality id");
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::InvalidMunicipality(other.into()),
        &msg,
    )
    .await;
}

#[tokio::test]
async fn invalid_municipality_code_is_refused() {
    let c = claims_with(json!({ "municipality": "Tranemo kommun" }));
    let msg = "token municipality \"Tranemo kommun\" is not a valid municipality id";
    assert_refused(
        &jwks_verifier().await,
        &rs256(&c),
        AuthError::InvalidMunicipality("Tranemo kommun".into()),
        msg,
    )
    .await;
}

#[tokio::test]
async fn unreadable_jwks_file_fails_at_startup() {
    let cfg = config(KeySource::JwksFile(fixture("no-such-file.json")));
    assert!(matches!(
        Verifier::new(cfg).await,
        Err(SetupError::ReadJwksFile { .. })
    ));
    let cfg = config(KeySource::JwksFile(fixture("test-only-rsa-public.pem")));
    assert!(matches!(
        Verifier::new(cfg).await,
        Err(SetupError::InvalidJwks(_))
    ));
}

#[tokio::test]
async fn empty_settings_fail_at_startup() {
    assert!(matches!(
        Verifier::new(AuthConfig::dev("", ISS, AUD)).await,
        Err(SetupError::EmptySetting(_))
    ));
    assert!(matches!(
        Verifier::new(AuthConfig::dev(DEV_SECRET, "", AUD)).await,
        Err(SetupError::EmptySetting(_))
    ));
    assert!(mint_dev_token("", ISS, AUD, "a", "tranemo", Duration::from_secs(60)).is_err());
}

/// Claims of Ulricehamn's identity provider ([`ISS2`]): a stable `oid`
/// and no municipality claim.
fn ulricehamn_claims(changes: Value) -> Value {
    let mut c = claims_with(json!({
        "iss": ISS2,
        "sub": null,
        "municipality": null,
        "oid": "6d1f0c2a-5b7e-4c1d-9a0e-3f2b8c4d5e6f",
    }));
    let map = c.as_object_mut().unwrap();
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            map.remove(k);
        } else {
            map.insert(k.clone(), v.clone());
        }
    }
    c
}

#[tokio::test]
async fn each_issuer_signs_in_its_own_municipality() {
    let v = Verifier::new(two_issuers()).await.unwrap();
    let p = v.verify(&rs256(&claims())).await.unwrap();
    assert_eq!(
        (p.tenant.as_str(), p.subject.as_str()),
        ("tranemo", "anna.andersson@tranemo.se")
    );
    let p = v
        .verify(&es256(&ulricehamn_claims(json!({}))))
        .await
        .unwrap();
    assert_eq!(
        (p.tenant.as_str(), p.subject.as_str()),
        ("ulricehamn", "6d1f0c2a-5b7e-4c1d-9a0e-3f2b8c4d5e6f")
    );
}

#[tokio::test]
async fn an_issuer_cannot_vouch_for_another_municipality() {
    let v = Verifier::new(two_issuers()).await.unwrap();
    // Tranemo's provider, correctly signed, claiming Ulricehamn.
    let c = claims_with(json!({ "municipality": "ulricehamn" }));
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::IssuerNotBound("ulricehamn".into()),
        "token issuer may not vouch for municipality \"ulricehamn\"",
    )
    .await;
    // Ulricehamn's provider takes no municipality claim: one in the token
    // changes nothing, it is still Ulricehamn's official.
    let c = ulricehamn_claims(json!({ "municipality": "tranemo" }));
    assert_eq!(
        v.verify(&es256(&c)).await.unwrap().tenant.as_str(),
        "ulricehamn"
    );
}

#[tokio::test]
async fn a_token_is_verified_only_with_its_own_issuers_keys() {
    let v = Verifier::new(two_issuers()).await.unwrap();
    // Tranemo's key signing a token that names Ulricehamn's issuer: that
    // issuer has no such key.
    let c = ulricehamn_claims(json!({}));
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::UnknownKey(RSA_KID.into()),
        "token signed by an unknown key (kid \"test-rsa-1\")",
    )
    .await;
    // Ulricehamn's key under Tranemo's issuer: the same.
    assert_refused(
        &v,
        &es256(&claims()),
        AuthError::UnknownKey(EC_KID.into()),
        "token signed by an unknown key (kid \"test-ec-1\")",
    )
    .await;
    // An issuer nobody configured.
    let c = claims_with(json!({ "iss": "https://login.example/other" }));
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::WrongIssuer,
        "token issuer not accepted",
    )
    .await;
    let c = claims_with(json!({ "iss": null }));
    assert_refused(
        &v,
        &rs256(&c),
        AuthError::MissingClaim("iss".into()),
        "token lacks the required claim \"iss\"",
    )
    .await;
}

#[tokio::test]
async fn issuer_bindings_are_checked_at_startup() {
    let keys = || KeySource::JwksFile(fixture("test-only-jwks.json"));
    let setup = |municipalities: &[&str], claim: Option<&str>| {
        let mut i = IssuerConfig::new(ISS, AUD, keys(), municipalities);
        i.municipality_claim = claim.map(str::to_owned);
        Verifier::new(AuthConfig::single(i))
    };
    for (municipalities, claim) in [
        (&[][..], Some("municipality")),
        (&["*"][..], Some("municipality")),
        (&["Tranemo kommun"][..], Some("municipality")),
        (&["tranemo", "ulricehamn"][..], None),
    ] {
        assert!(
            matches!(
                setup(municipalities, claim).await,
                Err(SetupError::Binding { .. })
            ),
            "{municipalities:?} {claim:?}"
        );
    }
    let twice = AuthConfig {
        issuers: vec![
            IssuerConfig::new(ISS, AUD, keys(), &["tranemo"]),
            IssuerConfig::new(ISS, AUD, keys(), &["ulricehamn"]),
        ],
        leeway_seconds: 30,
    };
    assert!(matches!(
        Verifier::new(twice).await,
        Err(SetupError::DuplicateIssuer(_))
    ));
    assert!(matches!(
        Verifier::new(AuthConfig {
            issuers: vec![],
            leeway_seconds: 30
        })
        .await,
        Err(SetupError::EmptySetting("issuers"))
    ));
}

#[tokio::test]
async fn a_shared_tenant_names_the_municipality_by_group() {
    // A shared IT department's tenant vouching for two municipalities; the
    // official's group membership says which one she acts for.
    let (tranemo_group, ulricehamn_group) = (
        "0b7c4c1e-0000-4000-8000-00000000a001",
        "0b7c4c1e-0000-4000-8000-00000000a002",
    );
    let mut cfg = jwks_config();
    let issuer = &mut cfg.issuers[0];
    issuer.municipality_claim = Some("groups".into());
    issuer.municipality_map = [
        (tranemo_group.to_owned(), "tranemo".to_owned()),
        (ulricehamn_group.to_owned(), "ulricehamn".to_owned()),
        // Mapped, but not a municipality this issuer vouches for.
        (
            "0b7c4c1e-0000-4000-8000-00000000a003".to_owned(),
            "svenljunga".to_owned(),
        ),
    ]
    .into();
    let v = Verifier::new(cfg).await.unwrap();
    let groups = |g: Value| claims_with(json!({ "municipality": null, "groups": g }));
    let p = v
        .verify(&rs256(&groups(json!(["all-staff", ulricehamn_group]))))
        .await
        .unwrap();
    assert_eq!(p.tenant.as_str(), "ulricehamn");
    let p = v
        .verify(&rs256(&groups(json!([
            tranemo_group,
            "0b7c4c1e-0000-4000-8000-00000000a003"
        ]))))
        .await
        .unwrap();
    assert_eq!(p.tenant.as_str(), "tranemo");
    assert_refused(
        &v,
        &rs256(&groups(json!([tranemo_group, ulricehamn_group]))),
        AuthError::AmbiguousMunicipality("tranemo, ulricehamn".into()),
        "token names more than one municipality (tranemo, ulricehamn): one sign-in acts for one",
    )
    .await;
    assert_refused(
        &v,
        &rs256(&groups(json!(["all-staff"]))),
        AuthError::MissingMunicipalityClaim("groups".into()),
        "token lacks the municipality claim \"groups\"",
    )
    .await;
}
