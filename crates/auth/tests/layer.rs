//! The tower layer: who gets through, what they carry, what others see.

mod common;

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use common::*;
use http::{HeaderValue, Request, Response};
use samverkan_auth::AuthLayer;
use samverkan_core::RequestContext;
use serde_json::json;
use tonic::Code;
use tower::{Layer, Service, ServiceExt};

/// An inner service that hands back the context it was given (in the
/// response extensions), so tests can see what the handler would see.
fn echo_context() -> tower::util::BoxCloneService<Request<String>, Response<String>, Infallible> {
    tower::util::BoxCloneService::new(tower::service_fn(|req: Request<String>| async move {
        tracing::info!("handler reached");
        let mut resp = Response::new("handled".to_owned());
        if let Some(ctx) = req.extensions().get::<RequestContext>() {
            resp.extensions_mut().insert(ctx.clone());
        }
        Ok::<_, Infallible>(resp)
    }))
}

async fn call(path: &str, authorization: Option<&str>) -> Response<String> {
    let svc = AuthLayer::new(jwks_verifier().await, Arc::new(OneMember)).layer(echo_context());
    let mut req = Request::builder().uri(path);
    if let Some(a) = authorization {
        req = req.header("authorization", a);
    }
    svc.oneshot(req.body(String::new()).unwrap()).await.unwrap()
}

/// The gRPC status a refused call answers with (trailers-only response).
fn status(resp: &Response<String>) -> tonic::Status {
    tonic::Status::from_header_map(resp.headers()).expect("grpc-status header")
}

const RPC: &str = "/samverkan.roles.v1.RolesService/WhoAmI";

#[tokio::test]
async fn valid_token_puts_the_request_context_in_extensions() {
    let resp = call(RPC, Some(&format!("Bearer {}", rs256(&claims())))).await;
    assert_eq!(resp.body(), "handled");
    let ctx = resp
        .extensions()
        .get::<RequestContext>()
        .expect("context reached the handler");
    assert_eq!(ctx.principal.subject, "anna.andersson@tranemo.se");
    assert_eq!(ctx.principal.tenant.as_str(), "tranemo");
    assert_eq!(ctx.scope.tenant.as_str(), "tranemo");
    assert_eq!(ctx.rpc, RPC);
    assert_eq!(ctx.today, samverkan_core::dates::today());
}

#[tokio::test]
async fn missing_authorization_is_unauthenticated() {
    for auth in [None, Some("Basic dXNlcjpwdw=="), Some("Bearer ")] {
        let resp = call(RPC, auth).await;
        assert_eq!(resp.body(), "", "handler must not run");
        assert_eq!(resp.headers()["content-type"], "application/grpc");
        let s = status(&resp);
        assert_eq!(s.code(), Code::Unauthenticated);
        assert!(
            s.message().starts_with("missing bearer token"),
            "{}",
            s.message()
        );
    }
}

#[tokio::test]
async fn bad_tokens_are_unauthenticated_with_their_reason() {
    let expired = rs256(&claims_with(json!({ "exp": now() - 3600 })));
    let none = hand_made(&json!({ "alg": "none" }), &claims(), b"");
    for (token, message) in [
        (expired.as_str(), "token expired"),
        (none.as_str(), "unsigned token (alg none) not accepted"),
        ("garbage", "token malformed"),
    ] {
        let resp = call(RPC, Some(&format!("Bearer {token}"))).await;
        let s = status(&resp);
        assert_eq!((s.code(), s.message()), (Code::Unauthenticated, message));
        assert!(resp.extensions().get::<RequestContext>().is_none());
    }
}

#[tokio::test]
async fn municipality_outside_the_deployment_is_permission_denied() {
    let token = rs256(&claims_with(json!({ "municipality": "ulricehamn" })));
    let resp = call(RPC, Some(&format!("Bearer {token}"))).await;
    assert_eq!(resp.body(), "", "handler must not run");
    let s = status(&resp);
    assert_eq!(s.code(), Code::PermissionDenied);
    assert_eq!(
        s.message(),
        "municipality ulricehamn is not a member of this deployment"
    );
}

#[tokio::test]
async fn a_person_the_municipality_has_not_registered_is_refused() {
    let token = rs256(&claims_with(json!({ "sub": "okand@tranemo.se" })));
    let resp = call(RPC, Some(&format!("Bearer {token}"))).await;
    assert_eq!(resp.body(), "", "handler must not run");
    let s = status(&resp);
    assert_eq!(s.code(), Code::PermissionDenied);
    assert_eq!(
        s.message(),
        "okand@tranemo.se is not a registered person of tranemo"
    );
}

#[tokio::test]
async fn a_person_without_a_role_may_only_ask_who_they_are() {
    let token = rs256(&claims_with(json!({ "sub": UNASSIGNED })));
    let auth = format!("Bearer {token}");
    let resp = call(RPC, Some(&auth)).await;
    assert_eq!(resp.body(), "handled");
    for rpc in [
        "/samverkan.roles.v1.RolesService/ListPeople",
        "/samverkan.forums.v1.ForumsService/ListMeetings",
    ] {
        let resp = call(rpc, Some(&auth)).await;
        assert_eq!(resp.body(), "", "{rpc}: handler must not run");
        let s = status(&resp);
        assert_eq!(s.code(), Code::PermissionDenied, "{rpc}");
        assert!(
            s.message().starts_with(&format!(
                "{UNASSIGNED} holds no role or seat in tranemo on "
            )),
            "{}",
            s.message()
        );
    }
    // The one with a role reaches both.
    let auth = format!("Bearer {}", rs256(&claims()));
    let resp = call("/samverkan.roles.v1.RolesService/ListPeople", Some(&auth)).await;
    assert_eq!(resp.body(), "handled");
}

#[tokio::test]
async fn health_and_reflection_pass_without_a_token() {
    for path in [
        "/grpc.health.v1.Health/Check",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
    ] {
        let resp = call(path, None).await;
        assert_eq!(resp.body(), "handled", "{path}");
        assert!(resp.extensions().get::<RequestContext>().is_none());
    }
    // Only those packages: a look-alike prefix is not exempt.
    let resp = call("/grpc.healthz.Fake/Check", None).await;
    assert_eq!(status(&resp).code(), Code::Unauthenticated);
}

/// A trivial gRPC service for the end-to-end test: answers OK with the
/// caller it saw in the `x-caller` header.
#[derive(Clone)]
struct Probe<const HEALTH: bool>;

impl tonic::server::NamedService for Probe<false> {
    const NAME: &'static str = "test.v1.Probe";
}

impl tonic::server::NamedService for Probe<true> {
    const NAME: &'static str = "grpc.health.v1.Health";
}

impl<const H: bool> Service<Request<tonic::body::Body>> for Probe<H> {
    type Response = Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<tonic::body::Body>) -> Self::Future {
        let caller = req
            .extensions()
            .get::<RequestContext>()
            .map(|c| format!("{}/{}", c.principal.tenant, c.principal.subject))
            .unwrap_or_else(|| "anonymous".into());
        let mut resp = tonic::Status::new(Code::Ok, "").into_http();
        resp.headers_mut()
            .insert("x-caller", HeaderValue::from_str(&caller).unwrap());
        std::future::ready(Ok(resp))
    }
}

#[tokio::test]
async fn works_in_a_real_tonic_server() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tonic::transport::Server::builder()
        .layer(AuthLayer::new(jwks_verifier().await, Arc::new(OneMember)))
        .add_service(Probe::<false>)
        .add_service(Probe::<true>)
        .serve_with_incoming_shutdown(
            tokio_stream::wrappers::TcpListenerStream::new(listener),
            async {
                let _ = stopped.await;
            },
        );
    let server = tokio::spawn(server);

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let send = |path: &str, token: Option<String>| {
        let mut req = Request::builder()
            .method("POST")
            .uri(format!("http://{addr}{path}"))
            .header("content-type", "application/grpc")
            .header("te", "trailers");
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        channel
            .clone()
            .oneshot(req.body(tonic::body::Body::empty()).unwrap())
    };

    let resp = send("/test.v1.Probe/Call", Some(rs256(&claims())))
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["x-caller"],
        "tranemo/anna.andersson@tranemo.se"
    );

    let resp = send("/test.v1.Probe/Call", None).await.unwrap();
    let s = tonic::Status::from_header_map(resp.headers()).unwrap();
    assert_eq!(s.code(), Code::Unauthenticated);
    assert!(resp.headers().get("x-caller").is_none());

    let token = rs256(&claims_with(json!({ "municipality": "ulricehamn" })));
    let resp = send("/test.v1.Probe/Call", Some(token)).await.unwrap();
    assert_eq!(
        tonic::Status::from_header_map(resp.headers())
            .unwrap()
            .code(),
        Code::PermissionDenied
    );

    let resp = send("/grpc.health.v1.Health/Check", None).await.unwrap();
    assert_eq!(resp.headers()["x-caller"], "anonymous");

    stop.send(()).unwrap();
    server.await.unwrap().unwrap();
}
