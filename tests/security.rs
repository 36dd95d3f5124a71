//! The security suite (issue 24): a server that trusts two identity
//! providers — Tranemo's, whose tokens name the municipality in a claim,
//! and Ulricehamn's, which vouches for Ulricehamn alone and names none —
//! with key sets of their own, on both backends. Forged, mis-signed,
//! mis-addressed and mis-bound tokens, people the registry does not know,
//! people without a role and a revoked assignment are all refused with
//! nothing read, and a departed member's officials change nothing; each
//! municipality's officials sign in through their own provider.

use std::path::PathBuf;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use samverkan_auth::{AuthConfig, IssuerConfig, KeySource};
use samverkan_proto::common::v1::Date;
use samverkan_proto::roles::v1 as pb;
use samverkan_proto::roles::v1::roles_service_client::RolesServiceClient;
use samverkan_server::Svc;
use samverkan_testkit::{
    DEV_AUDIENCE, DEV_ISSUER, DEV_SECRET, Setup, TestDb, TestServer, backend_test,
};
use serde_json::{Value, json};
use tonic::Code;
use tonic::transport::Channel;

const TRANEMO_ISS: &str = "https://login.test/tranemo/v2.0";
/// Entra ID's v2 form: 75 characters.
const ULRICEHAMN_ISS: &str =
    "https://login.microsoftonline.com/22222222-2222-4222-8222-222222222222/v2.0";
const AUD: &str = "api://samverkan";
const RSA_KID: &str = "test-rsa-1";
const EC_KID: &str = "test-ec-1";

/// Tranemo's kommunchef (people.manage, roles.assign_municipal).
const ANNA: &str = "anna.aberg@tranemo.se";
/// The samverkansadministratör (members.manage).
const IDA: &str = "ida.nyqvist@tranemo.se";
/// Ulricehamn's utvecklingschef.
const MARIA: &str = "maria.sjoberg@ulricehamn.se";
/// Registered by the test, first without a role.
const NILS: &str = "nils.nilsson@tranemo.se";

type Client = RolesServiceClient<Channel>;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/auth/tests/fixtures")
        .join(name)
}

fn key(name: &str, rsa: bool) -> EncodingKey {
    let pem = std::fs::read(fixture(name)).expect("fixture key");
    if rsa {
        EncodingKey::from_rsa_pem(&pem).expect("rsa key")
    } else {
        EncodingKey::from_ec_pem(&pem).expect("ec key")
    }
}

/// A JWKS file with the fixture key `kid` only, for one issuer.
fn jwks_with(kid: &str) -> PathBuf {
    let mut set: Value =
        serde_json::from_slice(&std::fs::read(fixture("test-only-jwks.json")).unwrap()).unwrap();
    set["keys"]
        .as_array_mut()
        .unwrap()
        .retain(|k| k["kid"] == kid);
    let path = std::env::temp_dir().join(format!(
        "samverkan-security-{}-{kid}.json",
        std::process::id()
    ));
    std::fs::write(&path, set.to_string()).unwrap();
    path
}

fn two_issuers() -> AuthConfig {
    let tranemo = IssuerConfig::new(
        TRANEMO_ISS,
        AUD,
        KeySource::JwksFile(jwks_with(RSA_KID)),
        &["tranemo"],
    );
    let mut ulricehamn = IssuerConfig::new(
        ULRICEHAMN_ISS,
        AUD,
        KeySource::JwksFile(jwks_with(EC_KID)),
        &["ulricehamn"],
    );
    ulricehamn.municipality_claim = None;
    AuthConfig {
        issuers: vec![tranemo, ulricehamn],
        leeway_seconds: 30,
    }
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn claims(iss: &str, sub: &str, municipality: Option<&str>) -> Value {
    let mut c = json!({
        "iss": iss, "aud": AUD, "sub": sub,
        "iat": now(), "nbf": now(), "exp": now() + 600,
    });
    if let Some(m) = municipality {
        c["municipality"] = json!(m);
    }
    c
}

fn with(mut c: Value, changes: Value) -> Value {
    for (k, v) in changes.as_object().unwrap() {
        if v.is_null() {
            c.as_object_mut().unwrap().remove(k);
        } else {
            c[k] = v.clone();
        }
    }
    c
}

fn sign(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut h = Header::new(alg);
    h.kid = Some(kid.into());
    jsonwebtoken::encode(&h, claims, key).unwrap()
}

/// Signed by Tranemo's provider.
fn tranemo(claims: &Value) -> String {
    sign(
        Algorithm::RS256,
        RSA_KID,
        &key("test-only-rsa-private.pem", true),
        claims,
    )
}

/// Signed by Ulricehamn's provider.
fn ulricehamn(claims: &Value) -> String {
    sign(
        Algorithm::ES256,
        EC_KID,
        &key("test-only-ec-p256-private.pem", false),
        claims,
    )
}

fn official(sub: &str) -> String {
    if sub.ends_with("@ulricehamn.se") {
        ulricehamn(&claims(ULRICEHAMN_ISS, sub, None))
    } else {
        tranemo(&claims(TRANEMO_ISS, sub, Some("tranemo")))
    }
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hand_made(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

/// A read of the collaboration's people with `token`: the people's names
/// it was shown, or the refusal.
async fn read_people(c: &Client, token: &str) -> Result<Vec<String>, tonic::Status> {
    c.clone()
        .list_people(TestServer::request(
            token,
            pb::ListPeopleRequest {
                page_size: 200,
                ..Default::default()
            },
        ))
        .await
        .map(|r| r.into_inner().people.into_iter().map(|p| p.email).collect())
}

async fn who(c: &Client, token: &str) -> Result<pb::WhoAmIResponse, tonic::Status> {
    c.clone()
        .who_am_i(TestServer::request(token, pb::WhoAmIRequest {}))
        .await
        .map(tonic::Response::into_inner)
}

fn date(d: chrono::NaiveDate) -> Option<Date> {
    Some(samverkan_core::dates::to_proto(d))
}

/// A token so large the HTTP/2 server refuses the headers (431) before any
/// service sees them (the verifier also refuses tokens over 16 KiB unread,
/// `crates/auth/tests/verify.rs`).
const TOO_LARGE: Code = Code::Unknown;

/// Every forged or mis-bound token: `(what, token, expected code)`.
fn forged() -> Vec<(&'static str, String, Code)> {
    use Code::{PermissionDenied, Unauthenticated};
    let tr = claims(TRANEMO_ISS, ANNA, Some("tranemo"));
    let rsa_public = std::fs::read(fixture("test-only-rsa-public.pem")).unwrap();
    vec![
        (
            "Tranemo's provider vouching for Ulricehamn",
            tranemo(&claims(TRANEMO_ISS, MARIA, Some("ulricehamn"))),
            Unauthenticated,
        ),
        (
            "Ulricehamn's official in a token for Tranemo",
            tranemo(&claims(TRANEMO_ISS, MARIA, Some("tranemo"))),
            PermissionDenied,
        ),
        (
            "a person Tranemo has not registered",
            tranemo(&claims(TRANEMO_ISS, "okand@tranemo.se", Some("tranemo"))),
            PermissionDenied,
        ),
        (
            "Ulricehamn's key under Tranemo's issuer",
            ulricehamn(&tr),
            Unauthenticated,
        ),
        (
            "Tranemo's key under Ulricehamn's issuer",
            tranemo(&claims(ULRICEHAMN_ISS, MARIA, None)),
            Unauthenticated,
        ),
        (
            "an issuer nobody trusts",
            tranemo(&with(
                tr.clone(),
                json!({"iss": "https://login.test/other"}),
            )),
            Unauthenticated,
        ),
        (
            "no issuer",
            tranemo(&with(tr.clone(), json!({"iss": null}))),
            Unauthenticated,
        ),
        (
            "another audience",
            tranemo(&with(tr.clone(), json!({"aud": "api://other"}))),
            Unauthenticated,
        ),
        (
            "expired",
            tranemo(&with(tr.clone(), json!({"exp": now() - 3600}))),
            Unauthenticated,
        ),
        (
            "not yet valid",
            tranemo(&with(tr.clone(), json!({"nbf": now() + 3600}))),
            Unauthenticated,
        ),
        (
            "no person claim",
            tranemo(&with(tr.clone(), json!({"sub": null}))),
            Unauthenticated,
        ),
        (
            "no municipality claim",
            tranemo(&with(tr.clone(), json!({"municipality": null}))),
            Unauthenticated,
        ),
        (
            "alg none",
            hand_made(&json!({"alg": "none", "kid": RSA_KID}), &tr, b""),
            Unauthenticated,
        ),
        (
            "HS256 signed with the RSA public key",
            sign(
                Algorithm::HS256,
                RSA_KID,
                &EncodingKey::from_secret(&rsa_public),
                &tr,
            ),
            Unauthenticated,
        ),
        (
            "a development token",
            samverkan_auth::mint_dev_token(
                DEV_SECRET,
                DEV_ISSUER,
                DEV_AUDIENCE,
                ANNA,
                "tranemo",
                std::time::Duration::from_secs(600),
            )
            .unwrap(),
            Unauthenticated,
        ),
        (
            "an unknown key id",
            sign(
                Algorithm::RS256,
                "test-rsa-2",
                &key("test-only-rsa-private.pem", true),
                &tr,
            ),
            Unauthenticated,
        ),
        (
            "a foreign key with Tranemo's key id",
            sign(
                Algorithm::RS256,
                RSA_KID,
                &key("test-only-foreign-rsa-private.pem", true),
                &tr,
            ),
            Unauthenticated,
        ),
        (
            "tampered claims",
            {
                let good = tranemo(&tr);
                let mut parts: Vec<String> = good.split('.').map(str::to_owned).collect();
                parts[1] = b64(with(tr.clone(), json!({"sub": IDA})).to_string().as_bytes());
                parts.join(".")
            },
            Unauthenticated,
        ),
        (
            "17 kB of padding",
            tranemo(&with(tr.clone(), json!({"pad": "å".repeat(8_700)}))),
            TOO_LARGE,
        ),
    ]
}

async fn two_issuers_and_the_registry(db: TestDb) {
    let setup = Setup {
        auth: Some(two_issuers()),
        ..Default::default()
    };
    let server = TestServer::start_set_up(&db, &[Svc::Roles], setup).await;
    let c = RolesServiceClient::new(server.channel().await);

    // Each municipality's officials through their own provider.
    let me = who(&c, &official(ANNA)).await.unwrap();
    assert_eq!(me.municipality.unwrap().id, "tranemo");
    assert!(!me.assignments.is_empty(), "Anna's roles show");
    let tranemo_people = read_people(&c, &official(ANNA)).await.unwrap();
    assert!(tranemo_people.iter().any(|p| p == ANNA));
    let me = who(&c, &official(MARIA)).await.unwrap();
    assert_eq!(me.municipality.unwrap().id, "ulricehamn");
    assert!(read_people(&c, &official(MARIA)).await.is_ok());
    // Ulricehamn's provider names no municipality: a claim in its token
    // is not believed, she is still Ulricehamn's official.
    let claimed = ulricehamn(&claims(ULRICEHAMN_ISS, MARIA, Some("tranemo")));
    assert_eq!(
        who(&c, &claimed).await.unwrap().municipality.unwrap().id,
        "ulricehamn"
    );

    let mut wrong = Vec::new();
    let cases = forged();
    for (what, token, code) in &cases {
        for (rpc, r) in [
            ("ListPeople", read_people(&c, token).await.map(drop)),
            ("WhoAmI", who(&c, token).await.map(drop)),
        ] {
            match r {
                Ok(()) => wrong.push(format!("{what}: {rpc} answered OK")),
                Err(s) if s.code() != *code => wrong.push(format!(
                    "{what}: {rpc} answered {:?}: {}",
                    s.code(),
                    s.message()
                )),
                Err(s) if *code == TOO_LARGE && !s.message().contains("431") => wrong.push(
                    format!("{what}: {rpc} answered {:?}: {}", s.code(), s.message()),
                ),
                Err(_) => {}
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} forged tokens mishandled:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
    samverkan_testkit::figure(&format!(
        "security: {} forged or mis-bound tokens refused ({:?})",
        cases.len(),
        db.backend
    ));

    // A person registered by Tranemo's administrator, without a role yet:
    // who she is, nothing more.
    let mut roles = c.clone();
    let nils = roles
        .create_person(TestServer::request(
            &official(ANNA),
            pb::CreatePersonRequest {
                request_id: "nils".into(),
                person: Some(pb::Person {
                    display_name: "Nils Nilsson".into(),
                    email: NILS.into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let me = who(&c, &official(NILS)).await.unwrap();
    assert!(me.assignments.is_empty() && me.seats.is_empty());
    let err = read_people(&c, &official(NILS)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("holds no role or seat in tranemo"));

    // Linked to his identity provider's stable id by the administrator:
    // from then on only a token with that id is his.
    let oid = "5f0d9a3e-2c41-4b7a-9e15-0c2b7d4e6a81";
    let linked = roles
        .update_person(TestServer::request(
            &official(ANNA),
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    subject: oid.into(),
                    ..nils.clone()
                }),
                etag: nils.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(linked.subject, oid);
    let err = who(&c, &official(NILS)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let nils_oid = tranemo(&claims(TRANEMO_ISS, oid, Some("tranemo")));
    assert_eq!(
        who(&c, &nils_oid).await.unwrap().person.unwrap().id,
        nils.id
    );
    // Nobody else of Tranemo may take the same identity.
    let anna = who(&c, &official(ANNA)).await.unwrap().person.unwrap();
    let err = roles
        .update_person(TestServer::request(
            &official(ANNA),
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    subject: oid.into(),
                    ..anna.clone()
                }),
                etag: anna.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::AlreadyExists, "{err:?}");
    // Linked back to his e-mail for the rest of the story.
    roles
        .update_person(TestServer::request(
            &official(ANNA),
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    subject: NILS.into(),
                    ..linked.clone()
                }),
                etag: linked.etag.clone(),
            },
        ))
        .await
        .unwrap();

    // Given a role he reads; with the role ended yesterday, the very next
    // call is refused.
    let role = roles
        .list_roles(TestServer::request(
            &official(ANNA),
            pb::ListRolesRequest {
                collaboration_id: samverkan_roles::demo::COLLABORATION_ID.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .roles
        .into_iter()
        .find(|r| r.code == "utvecklingschef")
        .unwrap();
    let today = samverkan_core::dates::today();
    let start = today - chrono::Days::new(30);
    let assignment = roles
        .create_assignment(TestServer::request(
            &official(ANNA),
            pb::CreateAssignmentRequest {
                request_id: "nils-utvecklingschef".into(),
                assignment: Some(pb::Assignment {
                    person_id: nils.id.clone(),
                    role_id: role.id,
                    municipality_id: "tranemo".into(),
                    valid_from: date(start),
                    decision_ref: "KS Tranemo § 12".into(),
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .assignment
        .unwrap();
    assert!(read_people(&c, &official(NILS)).await.is_ok());
    roles
        .end_assignment(TestServer::request(
            &official(ANNA),
            pb::EndAssignmentRequest {
                id: assignment.id,
                valid_to: date(today.pred_opt().unwrap()),
                etag: assignment.etag,
            },
        ))
        .await
        .unwrap();
    let err = read_people(&c, &official(NILS)).await.unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");

    // A member that has left: after its leave date its officials hold no
    // role; they read the history they took part in (tests/former_member.rs)
    // and change nothing.
    roles
        .end_membership(TestServer::request(
            &official(IDA),
            pb::EndMembershipRequest {
                collaboration_id: samverkan_roles::demo::COLLABORATION_ID.to_string(),
                municipality_id: "ulricehamn".into(),
                left_on: date(today.pred_opt().unwrap()),
                decision_ref: "IT-styrgruppen § 40".into(),
            },
        ))
        .await
        .unwrap();
    assert!(read_people(&c, &official(MARIA)).await.is_ok());
    let me = who(&c, &official(MARIA)).await.unwrap();
    assert!(me.memberships.is_empty() && me.assignments.is_empty());
    assert_eq!(me.former_memberships.len(), 1, "{me:?}");
    let maria = me.person.unwrap();
    let err = roles
        .update_person(TestServer::request(
            &official(MARIA),
            pb::UpdatePersonRequest {
                person: Some(pb::Person {
                    display_name: "Maria Sjöberg (avgått)".into(),
                    ..maria.clone()
                }),
                etag: maria.etag.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    assert!(err.message().contains("has left"), "{err:?}");
    server.stop().await;
}
backend_test!(two_issuers_and_the_registry);
