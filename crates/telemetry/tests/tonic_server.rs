//! The layer inside a real tonic server, called by a real tonic client that forwards its
//! trace with the interceptor: the path production takes, over HTTP/2 with trailers.

use std::time::Duration;

use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
use opentelemetry::{Key, Value};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use samverkan_telemetry::{GrpcTraceLayer, trace_context_interceptor};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::layer::SubscriberExt as _;

const CHECK: &str = "/grpc.health.v1.Health/Check";

fn status_code(span: &SpanData) -> Option<Value> {
    let key = Key::from_static_str("rpc.grpc.status_code");
    span.attributes
        .iter()
        .find(|kv| kv.key == key)
        .map(|kv| kv.value.clone())
}

/// The server finishes its span when hyper drops the response body, a moment after the
/// client has the response, so wait for it.
async fn server_spans(exporter: &InMemorySpanExporter, n: usize) -> Vec<SpanData> {
    for _ in 0..200 {
        let spans: Vec<_> = exporter
            .get_finished_spans()
            .unwrap()
            .into_iter()
            .filter(|s| s.name == CHECK)
            .collect();
        if spans.len() >= n {
            return spans;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("expected {n} server spans named {CHECK}");
}

// Current-thread runtime: server and client tasks all run on this thread, under the scoped
// subscriber below.
#[tokio::test]
async fn tonic_server_continues_the_client_trace_and_records_status() {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let _guard = tracing::subscriber::set_default(
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test"))),
    );

    let (reporter, health) = tonic_health::server::health_reporter();
    reporter
        .set_service_status("", tonic_health::ServingStatus::Serving)
        .await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .layer(GrpcTraceLayer::new())
            .add_service(health)
            .serve_with_incoming_shutdown(
                tokio_stream::wrappers::TcpListenerStream::new(listener),
                async {
                    let _ = stopped.await;
                },
            ),
    );

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut client = HealthClient::with_interceptor(channel, trace_context_interceptor);

    let caller = tracing::info_span!("caller");
    let caller_cx = caller.context().span().span_context().clone();
    async {
        client
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .expect("serving");
        // An unknown service is NOT_FOUND, sent by tonic as a trailers-only response.
        let err = client
            .check(HealthCheckRequest {
                service: "nope".into(),
            })
            .await
            .expect_err("unknown");
        assert_eq!(err.code(), tonic::Code::NotFound);
    }
    .instrument(caller)
    .await;

    let spans = server_spans(&exporter, 2).await;
    let trace_id_key = Key::from_static_str("trace_id");
    for span in &spans {
        assert_eq!(span.span_context.trace_id(), caller_cx.trace_id());
        assert_eq!(span.parent_span_id, caller_cx.span_id());
        // The field every log line of the call carries (an INTERNAL's too).
        let logged = span
            .attributes
            .iter()
            .find(|kv| kv.key == trace_id_key)
            .map(|kv| kv.value.to_string());
        assert_eq!(logged, Some(caller_cx.trace_id().to_string()));
    }
    let mut codes: Vec<_> = spans.iter().map(status_code).collect();
    codes.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(codes, vec![Some(Value::I64(0)), Some(Value::I64(5))]);

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
