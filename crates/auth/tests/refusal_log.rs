//! What the authentication layer logs: the municipality on the call's span,
//! and what an operator sees when a call is refused (and that a flood
//! cannot fill the log). A test binary of its own, its tests one at a time:
//! they capture the log, and tracing caches per process whether a callsite
//! is of interest, which threads without a subscriber would race.

mod common;

use std::convert::Infallible;
use std::io::Write;
use std::sync::{Arc, Mutex};

use common::*;
use http::{Request, Response};
use samverkan_auth::AuthLayer;
use serde_json::json;
use tonic::Code;
use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

/// A `MakeWriter` collecting log output in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One capturing test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn echo() -> tower::util::BoxCloneService<Request<String>, Response<String>, Infallible> {
    tower::util::BoxCloneService::new(tower::service_fn(|_: Request<String>| async move {
        tracing::info!("handler reached");
        Ok::<_, Infallible>(Response::new("handled".to_owned()))
    }))
}

fn status(resp: &Response<String>) -> tonic::Status {
    tonic::Status::from_header_map(resp.headers()).expect("grpc-status header")
}

const RPC: &str = "/samverkan.roles.v1.RolesService/WhoAmI";

#[tokio::test]
async fn refusals_are_logged_with_reason_issuer_and_key_but_never_the_token() {
    let _serial = SERIAL.lock().await;
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    let layer = AuthLayer::new(jwks_verifier().await, Arc::new(OneMember));
    let expired = rs256(&claims_with(json!({ "exp": now() - 3600 })));
    let stranger = rs256(&claims_with(json!({ "sub": "okand@tranemo.se" })));
    // Far more refusals than one window logs.
    for i in 0..100 {
        let token = if i % 2 == 0 { &expired } else { &stranger };
        let req = Request::builder()
            .uri(RPC)
            .header("authorization", format!("Bearer {token}"))
            .body(String::new())
            .unwrap();
        let resp = layer.clone().layer(echo()).oneshot(req).await.unwrap();
        assert_ne!(status(&resp).code(), Code::Ok);
    }
    assert_eq!(layer.refused(), 100);

    let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    assert_eq!(
        lines.len(),
        20,
        "rate-limited to one window's lines:\n{log}"
    );
    let expired_line = lines[0];
    for part in [
        "WARN",
        "request refused: token expired",
        "reason=\"expired\"",
        &format!("issuer=\"{ISS}\""),
        &format!("kid=\"{RSA_KID}\""),
    ] {
        assert!(
            expired_line.contains(part),
            "{part:?} not in {expired_line}"
        );
    }
    assert!(
        lines[1].contains("reason=\"not_in_registry\""),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("okand@tranemo.se is not a registered person"));
    for token in [&expired, &stranger] {
        let signature = token.rsplit('.').next().unwrap();
        assert!(!log.contains(signature), "the token reached the log");
    }
}

#[tokio::test]
async fn municipality_is_recorded_on_the_call_span() {
    let _serial = SERIAL.lock().await;
    let out = Captured::default();
    let writer = out.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _default = tracing::subscriber::set_default(subscriber);

    // Like the telemetry layer: a span with an empty `municipality` field,
    // entered around `call` and while the response future runs.
    let span = tracing::info_span!("grpc", municipality = tracing::field::Empty);
    let mut svc = AuthLayer::new(jwks_verifier().await, Arc::new(OneMember)).layer(echo());
    svc.ready().await.unwrap();
    let req = Request::builder()
        .uri(RPC)
        .header("authorization", format!("Bearer {}", rs256(&claims())))
        .body(String::new())
        .unwrap();
    let fut = span.in_scope(|| svc.call(req));
    fut.instrument(span.clone()).await.unwrap();

    let log = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("grpc{municipality=\"tranemo\"}: "), "{log}");
}
