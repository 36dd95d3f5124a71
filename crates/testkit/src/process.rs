//! `samverkan serve` as a separate process, as an orchestrator runs it:
//! for tests that need more than one instance on one database, or that
//! kill a server.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tonic::transport::{Channel, Endpoint};

use crate::DEV_SECRET;

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    l.local_addr().expect("local address").port()
}

/// One `samverkan serve` process serving every service, with development
/// tokens and no rate limit. Killed when dropped.
pub struct Instance {
    pub child: Child,
    pub url: String,
    bin: String,
}

impl Instance {
    /// Starts the binary `bin` (a test's `env!("CARGO_BIN_EXE_samverkan")`)
    /// on a free port against `database_url`.
    pub fn spawn(bin: &str, database_url: &str) -> Self {
        Self::spawn_with(bin, database_url, &[])
    }

    /// [`Instance::spawn`] with more environment (e.g. a shorter
    /// `SAMVERKAN_DB_ACQUIRE_TIMEOUT`).
    pub fn spawn_with(bin: &str, database_url: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let child = Command::new(bin)
            .args([
                "serve",
                "--dev-auth",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--rate-limit-per-second",
                "0",
            ])
            .env("DATABASE_URL", database_url)
            .env("SAMVERKAN_DEV_SECRET", DEV_SECRET)
            .env("RUST_LOG", "error")
            .env_remove("SAMVERKAN_SERVICES")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn samverkan serve");
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            bin: bin.to_owned(),
        }
    }

    /// Waits until `samverkan health` (the container's HEALTHCHECK) says
    /// SERVING; panics if the process exits or a minute passes.
    pub async fn ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ok = Command::new(&self.bin)
                .args(["health", "--address", &self.url, "--timeout-secs", "2"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run samverkan health")
                .success();
            if ok {
                return;
            }
            assert!(
                self.child.try_wait().expect("poll child").is_none(),
                "{} exited",
                self.url
            );
            assert!(Instant::now() < deadline, "{} did not come up", self.url);
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// A lazily connecting channel to the instance.
    pub async fn channel(&self) -> Channel {
        Endpoint::from_shared(self.url.clone())
            .expect("instance url")
            .connect_timeout(Duration::from_secs(2))
            .connect_lazy()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
