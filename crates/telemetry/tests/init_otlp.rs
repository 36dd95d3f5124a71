//! `init` with OTLP export. Its own test binary (so its own process), because `init` installs
//! the process-wide subscriber and may succeed only once.

use samverkan_telemetry::{LogFormat, TelemetryConfig, init};

fn config() -> TelemetryConfig {
    TelemetryConfig {
        log_format: LogFormat::Json,
        filter: "info".into(),
        service_name: "samverkan-test".into(),
        // Nothing listens here: export fails, and shutdown must still return promptly.
        otlp_endpoint: Some("http://127.0.0.1:9".into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_once_with_otlp_then_shut_down() {
    // Outside a runtime the tonic exporter cannot work; init says so instead of panicking.
    let outside = std::thread::spawn(|| init(&config()).map(drop))
        .join()
        .expect("thread");
    let err = outside.expect_err("init without a tokio runtime must fail");
    assert!(format!("{err:#}").contains("tokio runtime"), "{err:#}");

    let guard = init(&config()).expect("first init");
    tracing::info_span!("work").in_scope(|| tracing::info!(answer = 42, "inside a span"));

    let again = init(&TelemetryConfig {
        otlp_endpoint: None,
        ..config()
    });
    assert!(again.is_err(), "a second init must fail");

    let started = std::time::Instant::now();
    guard.shutdown();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(30),
        "shutdown hung"
    );
}
