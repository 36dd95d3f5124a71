//! The server layer and the client-side propagation, observed through the spans an
//! in-memory OpenTelemetry exporter receives.

use std::convert::Infallible;

use http_body_util::BodyExt as _;
use opentelemetry::trace::{SpanId, SpanKind, TraceContextExt as _, TraceId, TracerProvider as _};
use opentelemetry::{Key, Value};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use samverkan_telemetry::{
    GrpcTraceLayer, extract_trace_context, inject_trace_context, trace_context_interceptor,
};
use tower::{Layer as _, ServiceExt as _, service_fn};
use tracing::subscriber::DefaultGuard;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

const TRACEPARENT: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
const PATH: &str = "/samverkan.roles.v1.RolesService/GetRole";

/// A subscriber scoped to this test's thread, exporting spans synchronously into memory.
/// `#[tokio::test]` runs on a current-thread runtime, so every poll happens under it.
struct Harness {
    exporter: InMemorySpanExporter,
    _provider: SdkTracerProvider,
    _guard: DefaultGuard,
}

impl Harness {
    fn new() -> Self {
        // Process-global, but every test sets the same propagator, so order does not matter.
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let guard = tracing::subscriber::set_default(subscriber);
        Self {
            exporter,
            _provider: provider,
            _guard: guard,
        }
    }

    fn span(&self, name: &str) -> SpanData {
        let spans = self.exporter.get_finished_spans().expect("finished spans");
        let names: Vec<_> = spans.iter().map(|s| s.name.to_string()).collect();
        spans
            .into_iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no finished span {name:?}; got {names:?}"))
    }
}

fn attr(span: &SpanData, key: &str) -> Option<Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key == Key::from(key.to_owned()))
        .map(|kv| kv.value.clone())
}

fn request(traceparent: Option<&str>) -> http::Request<String> {
    let mut builder = http::Request::builder()
        .method("POST")
        .uri(PATH)
        .header("content-type", "application/grpc");
    if let Some(tp) = traceparent {
        builder = builder.header("traceparent", tp);
    }
    builder.body(String::new()).expect("request")
}

/// A trailers-only response, which is how tonic answers with an error status.
fn trailers_only(code: u8) -> http::Response<String> {
    http::Response::builder()
        .header("content-type", "application/grpc")
        .header("grpc-status", code.to_string())
        .body(String::new())
        .expect("response")
}

#[tokio::test]
async fn incoming_traceparent_continues_the_callers_trace() {
    let h = Harness::new();
    let svc = GrpcTraceLayer::new().layer(service_fn(|_req: http::Request<String>| async {
        // What the auth layer does once it knows the caller.
        tracing::Span::current().record("municipality", "0180");
        Ok::<_, Infallible>(trailers_only(0))
    }));

    let res = svc
        .oneshot(request(Some(TRACEPARENT)))
        .await
        .expect("response");
    drop(res);

    let span = h.span(PATH);
    assert_eq!(
        span.span_context.trace_id(),
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap()
    );
    assert_eq!(
        span.parent_span_id,
        SpanId::from_hex("00f067aa0ba902b7").unwrap()
    );
    assert!(span.parent_span_is_remote);
    assert_eq!(span.span_kind, SpanKind::Server);
    assert_eq!(
        attr(&span, "rpc.service"),
        Some(Value::from("samverkan.roles.v1.RolesService"))
    );
    assert_eq!(attr(&span, "rpc.method"), Some(Value::from("GetRole")));
    assert_eq!(attr(&span, "rpc.system"), Some(Value::from("grpc")));
    assert_eq!(attr(&span, "municipality"), Some(Value::from("0180")));
    assert_eq!(attr(&span, "rpc.grpc.status_code"), Some(Value::I64(0)));
}

#[tokio::test]
async fn without_traceparent_a_new_trace_starts() {
    let h = Harness::new();
    let svc = GrpcTraceLayer::new().layer(service_fn(|_req: http::Request<String>| async {
        Ok::<_, Infallible>(trailers_only(0))
    }));

    drop(svc.oneshot(request(None)).await.expect("response"));

    let span = h.span(PATH);
    assert!(span.span_context.is_valid());
    assert_ne!(
        span.span_context.trace_id(),
        TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap()
    );
    assert_eq!(span.parent_span_id, SpanId::INVALID);
}

#[tokio::test]
async fn malformed_traceparent_starts_a_new_trace() {
    let h = Harness::new();
    let svc = GrpcTraceLayer::new().layer(service_fn(|_req: http::Request<String>| async {
        Ok::<_, Infallible>(trailers_only(0))
    }));

    drop(
        svc.oneshot(request(Some("00-not-a-trace-01")))
            .await
            .expect("response"),
    );

    let span = h.span(PATH);
    assert!(span.span_context.is_valid());
    assert_eq!(span.parent_span_id, SpanId::INVALID);
}

#[tokio::test]
async fn error_status_in_headers_is_recorded() {
    let h = Harness::new();
    let svc = GrpcTraceLayer::new().layer(service_fn(|_req: http::Request<String>| async {
        Ok::<_, Infallible>(trailers_only(5))
    }));

    drop(svc.oneshot(request(None)).await.expect("response"));

    let span = h.span(PATH);
    assert_eq!(attr(&span, "rpc.grpc.status_code"), Some(Value::I64(5)));
    // NOT_FOUND is the caller's problem, not a server error.
    assert_eq!(span.status, opentelemetry::trace::Status::Unset);
}

#[tokio::test]
async fn status_in_trailers_is_recorded_when_the_body_ends() {
    let h = Harness::new();
    let svc = GrpcTraceLayer::new().layer(service_fn(|_req: http::Request<String>| async {
        let mut trailers = http::HeaderMap::new();
        trailers.insert("grpc-status", http::HeaderValue::from_static("13"));
        let body = String::from("message").with_trailers(async move { Some(Ok(trailers)) });
        Ok::<_, Infallible>(
            http::Response::builder()
                .header("content-type", "application/grpc")
                .body(body)
                .unwrap(),
        )
    }));

    let res = svc.oneshot(request(None)).await.expect("response");
    // The span is still open while the response streams.
    assert!(h.exporter.get_finished_spans().unwrap().is_empty());
    let collected = res.into_body().collect().await.expect("body");
    assert_eq!(
        collected
            .trailers()
            .and_then(|t| t.get("grpc-status"))
            .unwrap(),
        "13"
    );

    let span = h.span(PATH);
    assert_eq!(attr(&span, "rpc.grpc.status_code"), Some(Value::I64(13)));
    assert!(matches!(
        span.status,
        opentelemetry::trace::Status::Error { .. }
    ));
}

#[tokio::test]
async fn response_dropped_before_trailers_counts_as_cancelled() {
    let h = Harness::new();
    let svc = GrpcTraceLayer::new().layer(service_fn(|_req: http::Request<String>| async {
        Ok::<_, Infallible>(http::Response::new(String::from("message")))
    }));

    drop(svc.oneshot(request(None)).await.expect("response"));

    assert_eq!(
        attr(&h.span(PATH), "rpc.grpc.status_code"),
        Some(Value::I64(1))
    );
}

#[tokio::test]
async fn injected_context_round_trips() {
    let h = Harness::new();
    let client = tracing::info_span!("client_call");
    let expected = client.context().span().span_context().clone();
    assert!(expected.is_valid());

    let mut headers = http::HeaderMap::new();
    let mut req = tonic::Request::new(());
    client.in_scope(|| {
        inject_trace_context(&mut headers);
        req = trace_context_interceptor(tonic::Request::new(())).expect("interceptor");
    });

    let traceparent = format!("00-{}-{}-01", expected.trace_id(), expected.span_id());
    assert_eq!(headers.get("traceparent").unwrap(), traceparent.as_str());
    assert_eq!(
        req.metadata().get("traceparent").unwrap(),
        traceparent.as_str()
    );

    let extracted = extract_trace_context(&headers);
    let extracted = extracted.span().span_context().clone();
    assert_eq!(extracted.trace_id(), expected.trace_id());
    assert_eq!(extracted.span_id(), expected.span_id());
    assert!(extracted.is_remote());

    // And through the server layer: the server span is a child of the client span.
    let svc = GrpcTraceLayer::new().layer(service_fn(|_req: http::Request<String>| async {
        Ok::<_, Infallible>(trailers_only(0))
    }));
    let mut server_req = request(None);
    *server_req.headers_mut() = headers;
    drop(svc.oneshot(server_req).await.expect("response"));
    let server = h.span(PATH);
    assert_eq!(server.span_context.trace_id(), expected.trace_id());
    assert_eq!(server.parent_span_id, expected.span_id());
}

#[test]
fn inject_without_a_span_writes_nothing() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let mut headers = http::HeaderMap::new();
    inject_trace_context(&mut headers);
    assert!(headers.get("traceparent").is_none());
}

#[test]
fn init_for_tests_is_idempotent() {
    samverkan_telemetry::init_for_tests();
    samverkan_telemetry::init_for_tests();
    tracing::info!("still logging");
}
