//! Telemetry for Samverkan: the tracing subscriber (text or JSON logs to stderr), OTLP span
//! export when configured, a server layer giving each gRPC call a span that continues the
//! caller's W3C trace, and the client half that forwards it.

mod init;
mod layer;
mod metrics;
mod propagation;

pub use init::{LogFormat, TelemetryConfig, TelemetryGuard, init, init_for_tests};
pub use layer::{GrpcTraceLayer, GrpcTraceService, ResponseFuture, TracedBody};
pub use metrics::{Metrics, OpenStream, PoolStats, metrics};
pub use propagation::{
    extract_trace_context, inject_trace_context, inject_trace_context_metadata,
    trace_context_interceptor,
};
