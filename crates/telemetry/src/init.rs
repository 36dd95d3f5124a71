//! The process-wide tracing subscriber and, when configured, OTLP span export.

use std::io::IsTerminal;

use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::{Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Registry, fmt};

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, coloured when stderr is a terminal.
    #[default]
    Text,
    /// One JSON object per line, for log collectors.
    Json,
}

/// What [`init`] installs.
#[derive(Debug, Clone)]
pub struct TelemetryConfig {
    pub log_format: LogFormat,
    /// An `EnvFilter` directive such as `info` or `info,samverkan_roles=debug`.
    pub filter: String,
    /// Reported as the OpenTelemetry resource attribute `service.name`.
    pub service_name: String,
    /// OTLP/gRPC collector endpoint, e.g. `http://localhost:4317`. The binary reads the
    /// default from `OTEL_EXPORTER_OTLP_ENDPOINT`; `None` disables span export.
    pub otlp_endpoint: Option<String>,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            log_format: LogFormat::Text,
            filter: "info".into(),
            service_name: "samverkan".into(),
            otlp_endpoint: None,
        }
    }
}

/// Keeps the OTLP pipeline alive; flushes and shuts it down on [`shutdown`](Self::shutdown)
/// or drop. Hold it in `main` until the server has stopped.
#[must_use = "dropping the guard shuts down span export immediately"]
#[derive(Debug)]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl TelemetryGuard {
    /// Exports buffered spans and stops the exporter. Errors are logged, not returned:
    /// at shutdown there is nothing useful a caller could do about a lost batch.
    pub fn shutdown(mut self) {
        self.shutdown_provider();
    }

    fn shutdown_provider(&mut self) {
        let Some(provider) = self.provider.take() else {
            return;
        };
        // The batch processor's shutdown blocks this thread while the exporter's tonic
        // connection is driven by the Tokio runtime. On a multi-thread runtime, tell Tokio
        // we are blocking so other workers keep that connection moving; on a current-thread
        // runtime, call this from `spawn_blocking` (see the opentelemetry_sdk docs).
        let shutdown = || provider.shutdown();
        let result = match tokio::runtime::Handle::try_current().map(|h| h.runtime_flavor()) {
            Ok(tokio::runtime::RuntimeFlavor::MultiThread) => tokio::task::block_in_place(shutdown),
            _ => shutdown(),
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "tracer provider shutdown failed; some spans may be lost");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        self.shutdown_provider();
    }
}

/// The subscriber the per-format layers sit on: every layer sees only what the filter lets
/// through, so the OTLP exporter is spared sqlx's per-query events too.
type Filtered = tracing_subscriber::layer::Layered<EnvFilter, Registry>;
type BoxedLayer = Box<dyn Layer<Filtered> + Send + Sync>;

/// Installs the global subscriber: structured logs to stderr, plus OTLP span export and the
/// W3C TraceContext propagator when `otlp_endpoint` is set.
///
/// Callable once per process; a second call fails because the global subscriber is already
/// set. With an OTLP endpoint it must run inside a Tokio runtime, because the tonic
/// exporter's channel is bound to the runtime it was created on.
pub fn init(cfg: &TelemetryConfig) -> anyhow::Result<TelemetryGuard> {
    let filter = env_filter(&cfg.filter)?;

    let mut layers: Vec<BoxedLayer> = vec![fmt_layer(cfg.log_format)];
    let provider = match &cfg.otlp_endpoint {
        Some(endpoint) => {
            let provider = otlp_provider(endpoint, &cfg.service_name)?;
            let tracer = provider.tracer(env!("CARGO_PKG_NAME"));
            layers.push(tracing_opentelemetry::layer().with_tracer(tracer).boxed());
            Some(provider)
        }
        None => None,
    };
    // Built before installing anything, so a failure above leaves the process untouched and
    // a failure below drops (and thus shuts down) the provider via the guard.
    let guard = TelemetryGuard { provider };

    tracing_subscriber::registry()
        .with(filter)
        .with(layers)
        .try_init()
        .context("install tracing subscriber (telemetry is initialised once per process)")?;

    if let Some(provider) = &guard.provider {
        // Code using `opentelemetry::global::tracer` directly lands in the same pipeline.
        opentelemetry::global::set_tracer_provider(provider.clone());
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    }
    Ok(guard)
}

/// A text subscriber for tests, writing through the test harness's capture. Safe to call from
/// every test: the first call wins and later ones are ignored. `RUST_LOG` overrides the
/// default `info` filter.
pub fn init_for_tests() {
    let directive = std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into());
    let filter = env_filter(&directive).unwrap_or_else(|_| EnvFilter::new("info"));
    // Ignoring the error is the point: "a global default trace dispatcher has already been set".
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_test_writer())
        .try_init();
    // Lets tests that exercise propagation see W3C headers without OTLP export.
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
}

fn fmt_layer(format: LogFormat) -> BoxedLayer {
    let layer = fmt::layer().with_writer(std::io::stderr);
    match format {
        // Current span and span list carry `municipality`, `rpc.method` etc. into each line.
        LogFormat::Json => layer
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .boxed(),
        LogFormat::Text => layer.with_ansi(std::io::stderr().is_terminal()).boxed(),
    }
}

/// Noisy dependencies that get `warn` unless the operator asked for them by name: sqlx logs
/// every statement at INFO, which would drown the request logs.
const QUIET_TARGETS: &[&str] = &["sqlx", "sea_orm"];

fn env_filter(directive: &str) -> anyhow::Result<EnvFilter> {
    let directive = filter_directive(directive);
    EnvFilter::builder()
        .parse(&directive)
        .with_context(|| format!("invalid log filter {directive:?}"))
}

/// The directive actually used: the configured one (default `info`) plus `target=warn` for
/// each quiet target it does not mention.
fn filter_directive(configured: &str) -> String {
    let configured = configured.trim();
    let mut directive = if configured.is_empty() {
        "info".to_owned()
    } else {
        configured.to_owned()
    };
    for quiet in QUIET_TARGETS {
        if !names_target(&directive, quiet) {
            directive.push_str(&format!(",{quiet}=warn"));
        }
    }
    directive
}

/// Whether any directive's target is `target` or a module below it (`sqlx::query=debug`).
fn names_target(directive: &str, target: &str) -> bool {
    directive.split(',').any(|d| {
        // A directive is `target[span{field}]=level`; the target ends at `[` or `=`.
        let name = d.split(['[', '=']).next().unwrap_or("").trim();
        name == target
            || name
                .strip_prefix(target)
                .is_some_and(|rest| rest.starts_with("::"))
    })
}

fn otlp_provider(endpoint: &str, service_name: &str) -> anyhow::Result<SdkTracerProvider> {
    // Without a runtime, tonic would panic when spawning the channel's worker; an error
    // pointing at the cause is kinder.
    tokio::runtime::Handle::try_current()
        .context("otlp export needs a tokio runtime; call init inside one")?;
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .with_context(|| format!("build otlp span exporter for {endpoint}"))?;
    // The default batch processor exports from its own thread; the tonic channel inside the
    // exporter does its I/O on the Tokio runtime that is current here.
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_targets_are_added_unless_named() {
        assert_eq!(filter_directive("info"), "info,sqlx=warn,sea_orm=warn");
        assert_eq!(filter_directive(""), "info,sqlx=warn,sea_orm=warn");
        assert_eq!(
            filter_directive("debug,sqlx=info"),
            "debug,sqlx=info,sea_orm=warn"
        );
        assert_eq!(
            filter_directive("sqlx::query=debug,sea_orm=debug"),
            "sqlx::query=debug,sea_orm=debug"
        );
        // A target that merely starts with the same letters is not the same target.
        assert_eq!(
            filter_directive("sqlxfoo=debug"),
            "sqlxfoo=debug,sqlx=warn,sea_orm=warn"
        );
    }

    #[test]
    fn invalid_filter_is_an_error() {
        assert!(env_filter("info,samverkan_roles=loud").is_err());
        assert!(env_filter("info,samverkan_roles=debug").is_ok());
    }
}
