//! The process's metrics: OpenTelemetry instruments, read as Prometheus text
//! on the admin port (`samverkan serve --admin-addr`). One set per process,
//! whatever the number of servers in it; every name starts `samverkan_`.
//!
//! | Prometheus name | kind | labels | what |
//! |---|---|---|---|
//! | `samverkan_rpc_calls_total` | counter | `rpc`, `code` | gRPC calls answered, by status (`rpc` is `other` for a path the server does not have) |
//! | `samverkan_rpc_duration_seconds` | histogram | `rpc`, `code` | time from request to status |
//! | `samverkan_auth_refusals_total` | counter | `reason` | calls refused before any handler ran |
//! | `samverkan_db_retries_total` | counter | | whole use cases rerun after a conflict |
//! | `samverkan_watch_streams` | gauge | | `WatchMeeting` streams open |
//! | `samverkan_db_connections` | gauge | `state` (`in_use`, `idle`) | the process's database connections |
//! | `samverkan_outbox_pending` | gauge | | events recorded and not yet delivered to every consumer, after the last background round |
//! | `samverkan_outbox_oldest_seconds` | gauge | | age of the oldest of them (0 when none) |

use std::sync::{Arc, LazyLock, Mutex, Weak};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{
    Counter, Gauge, Histogram, MeterProvider as _, ObservableGauge, UpDownCounter,
};
use opentelemetry_sdk::metrics::SdkMeterProvider;
use prometheus::{Encoder as _, TextEncoder};

/// The instruments, and the registry the Prometheus exporter fills.
pub struct Metrics {
    registry: prometheus::Registry,
    // Kept so the instruments stay connected to the exporter.
    _provider: SdkMeterProvider,
    rpc_calls: Counter<u64>,
    rpc_duration: Histogram<f64>,
    auth_refusals: Counter<u64>,
    db_retries: Counter<u64>,
    watch_streams: UpDownCounter<i64>,
    pools: Arc<Mutex<Vec<Weak<dyn PoolStats>>>>,
    _connections: ObservableGauge<u64>,
    outbox_pending: Gauge<u64>,
    outbox_oldest: Gauge<f64>,
}

/// A connection pool the metrics read when scraped.
pub trait PoolStats: Send + Sync {
    /// Connections open, and of them idle.
    fn connections(&self) -> (u32, u32);
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

/// Upper bounds of the call duration histogram, in seconds: from a cached
/// read to the server's ceiling on a call.
const DURATION_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

impl Metrics {
    fn new() -> Self {
        let registry = prometheus::Registry::new();
        let exporter = opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .scope_info_enabled(false)
            .without_target_info()
            .build()
            .expect("a Prometheus exporter on a registry of its own");
        let provider = SdkMeterProvider::builder().with_reader(exporter).build();
        let meter = provider.meter("samverkan");
        let pools: Arc<Mutex<Vec<Weak<dyn PoolStats>>>> = Arc::default();
        let watched = pools.clone();
        let connections = meter
            .u64_observable_gauge("samverkan.db.connections")
            .with_description("Database connections of the process, in use and idle")
            .with_callback(move |o| {
                let mut pools = watched.lock().unwrap_or_else(|p| p.into_inner());
                pools.retain(|p| p.strong_count() > 0);
                let (open, idle) = pools
                    .iter()
                    .filter_map(Weak::upgrade)
                    .map(|p| p.connections())
                    .fold((0u64, 0u64), |(o, i), (po, pi)| {
                        (o + u64::from(po), i + u64::from(pi))
                    });
                o.observe(
                    open.saturating_sub(idle),
                    &[KeyValue::new("state", "in_use")],
                );
                o.observe(idle, &[KeyValue::new("state", "idle")]);
            })
            .build();
        Self {
            pools,
            _connections: connections,
            outbox_pending: meter
                .u64_gauge("samverkan.outbox.pending")
                .with_description(
                    "Outbox events not yet delivered to every consumer, after the last background round",
                )
                .build(),
            outbox_oldest: meter
                .f64_gauge("samverkan.outbox.oldest")
                .with_unit("s")
                .with_description("Age of the oldest undelivered outbox event (0 when none)")
                .build(),
            rpc_calls: meter
                .u64_counter("samverkan.rpc.calls")
                .with_description("gRPC calls answered, by method and status code")
                .build(),
            rpc_duration: meter
                .f64_histogram("samverkan.rpc.duration")
                .with_unit("s")
                .with_description("Time from a call's request to its status")
                .with_boundaries(DURATION_BUCKETS.to_vec())
                .build(),
            auth_refusals: meter
                .u64_counter("samverkan.auth.refusals")
                .with_description(
                    "Calls refused by authentication or the registry before any handler ran, by reason",
                )
                .build(),
            db_retries: meter
                .u64_counter("samverkan.db.retries")
                .with_description(
                    "Use cases run again after a serialization conflict, deadlock or busy database",
                )
                .build(),
            watch_streams: meter
                .i64_up_down_counter("samverkan.watch.streams")
                .with_description("WatchMeeting streams open")
                .build(),
            registry,
            _provider: provider,
        }
    }

    /// A gRPC call answered with `code` after `seconds`. `rpc` is the full
    /// path; one the server does not serve is counted as `unimplemented`,
    /// so a scanner cannot make up label values.
    pub fn rpc(&self, rpc: &str, code: i64, seconds: f64) {
        let rpc = if code == i64::from(tonic::Code::Unimplemented as i32) {
            "unimplemented"
        } else {
            rpc
        };
        let labels = [
            KeyValue::new("rpc", rpc.to_owned()),
            KeyValue::new("code", code_name(code)),
        ];
        self.rpc_calls.add(1, &labels);
        self.rpc_duration.record(seconds, &labels);
    }

    /// A call refused before any handler ran; `reason` is one of a fixed set.
    pub fn auth_refusal(&self, reason: &'static str) {
        self.auth_refusals
            .add(1, &[KeyValue::new("reason", reason)]);
    }

    /// A use case run again after a conflict.
    pub fn db_retry(&self) {
        self.db_retries.add(1, &[]);
    }

    /// A `WatchMeeting` stream opened: counted until the guard is dropped
    /// with the stream.
    pub fn watch_stream(&'static self) -> OpenStream {
        self.watch_streams.add(1, &[]);
        OpenStream { metrics: self }
    }

    /// Counts `pool`'s connections in `samverkan_db_connections` while it
    /// lives.
    pub fn watch_pool(&self, pool: Weak<dyn PoolStats>) {
        self.pools
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(pool);
    }

    /// The outbox after a background round: `pending` events not yet
    /// delivered, the oldest recorded `oldest_seconds` ago.
    pub fn outbox(&self, pending: u64, oldest_seconds: f64) {
        self.outbox_pending.record(pending, &[]);
        self.outbox_oldest.record(oldest_seconds, &[]);
    }

    /// Everything, in the Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        if let Err(e) = TextEncoder::new().encode(&self.registry.gather(), &mut out) {
            tracing::warn!(error = %e, "metrics could not be encoded");
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

/// An open stream, counted in `samverkan_watch_streams` while it lives.
#[derive(Debug)]
pub struct OpenStream {
    metrics: &'static Metrics,
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.metrics.watch_streams.add(-1, &[]);
    }
}

/// The canonical name of a gRPC status code (`OK`, `NOT_FOUND`, …).
fn code_name(code: i64) -> &'static str {
    const NAMES: [&str; 17] = [
        "OK",
        "CANCELLED",
        "UNKNOWN",
        "INVALID_ARGUMENT",
        "DEADLINE_EXCEEDED",
        "NOT_FOUND",
        "ALREADY_EXISTS",
        "PERMISSION_DENIED",
        "RESOURCE_EXHAUSTED",
        "FAILED_PRECONDITION",
        "ABORTED",
        "OUT_OF_RANGE",
        "UNIMPLEMENTED",
        "INTERNAL",
        "UNAVAILABLE",
        "DATA_LOSS",
        "UNAUTHENTICATED",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .copied()
        .unwrap_or("UNKNOWN")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_and_refusals_show_in_the_text() {
        let m = metrics();
        m.rpc("/samverkan.test.v1.T/Probe", 0, 0.003);
        m.rpc("/samverkan.test.v1.T/Probe", 5, 0.2);
        m.rpc("/made.up/Path", 12, 0.001);
        m.auth_refusal("issuer_not_bound");
        let text = m.render();
        assert!(
            text.contains(
                r#"samverkan_rpc_calls_total{code="NOT_FOUND",rpc="/samverkan.test.v1.T/Probe"} 1"#
            ),
            "{text}"
        );
        assert!(
            text.contains(r#"samverkan_rpc_duration_seconds_bucket{code="OK",rpc="/samverkan.test.v1.T/Probe",le="0.005"} 1"#),
            "{text}"
        );
        assert!(!text.contains("/made.up/Path"), "{text}");
        assert!(
            text.contains(r#"samverkan_auth_refusals_total{reason="issuer_not_bound"} 1"#),
            "{text}"
        );
    }

    #[test]
    fn code_names() {
        assert_eq!(code_name(0), "OK");
        assert_eq!(code_name(16), "UNAUTHENTICATED");
        assert_eq!(code_name(99), "UNKNOWN");
    }
}
