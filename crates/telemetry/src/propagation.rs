//! W3C trace context across process boundaries.
//!
//! Everything goes through the *global* text-map propagator, which [`crate::init`] sets to
//! W3C TraceContext when OTLP export is on. When it is off the global propagator is the
//! no-op one, so these functions quietly do nothing: there is no trace worth continuing.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, Injector};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// Reads `traceparent`/`tracestate` (or whatever the global propagator understands) from
/// incoming HTTP/2 headers. Returns an empty context when there is nothing valid to continue.
pub fn extract_trace_context(headers: &http::HeaderMap) -> Context {
    opentelemetry::global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(headers)))
}

/// Writes the current tracing span's OpenTelemetry context as `traceparent` (and
/// `tracestate` when present) into outgoing headers, so the callee continues this trace.
pub fn inject_trace_context(headers: &mut http::HeaderMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut HeaderInjector(headers))
    });
}

/// Same as [`inject_trace_context`] for tonic request metadata.
pub fn inject_trace_context_metadata(metadata: &mut MetadataMap) {
    let cx = tracing::Span::current().context();
    opentelemetry::global::get_text_map_propagator(|p| {
        p.inject_context(&cx, &mut MetadataInjector(metadata))
    });
}

/// A tonic client interceptor that forwards the current trace to the callee:
/// `FooClient::with_interceptor(channel, samverkan_telemetry::trace_context_interceptor)`.
///
/// Interceptors run synchronously inside the calling future, so `Span::current()` is the
/// span of the handler making the call.
pub fn trace_context_interceptor(
    mut req: tonic::Request<()>,
) -> Result<tonic::Request<()>, tonic::Status> {
    inject_trace_context_metadata(req.metadata_mut());
    Ok(req)
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        // A non-ASCII header value cannot be a valid traceparent; treat it as absent.
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        // The propagator only produces lowercase ASCII keys and values, so failures here
        // would be a propagator bug; dropping the header is safer than failing the call.
        if let (Ok(name), Ok(value)) = (
            http::header::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::from_str(&value),
        ) {
            self.0.insert(name, value);
        }
    }
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}
