//! The server under test as a child process: started from this binary
//! (`samverkan serve`), its resident memory read from /proc, stopped with
//! SIGTERM as an orchestrator would.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, anyhow};

/// A running `samverkan serve`.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Server {
    /// Starts `exe serve` over `database_url` on a free port with
    /// development authentication signed with `secret` and no rate limit
    /// (the generator is one machine acting as many people), and waits
    /// until it answers.
    pub async fn start(
        exe: &Path,
        database_url: &str,
        secret: &str,
        log: &Path,
    ) -> anyhow::Result<Self> {
        let port = free_port()?;
        let logfile =
            std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = Command::new(exe)
            .args(["serve", "--dev-auth", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--database-url", database_url])
            .args(["--rate-limit-per-second", "0"])
            .env("SAMVERKAN_DEV_SECRET", secret)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(logfile)
            .spawn()
            .with_context(|| format!("starting {} serve", exe.display()))?;
        let mut server = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = server.child.try_wait()? {
                return Err(anyhow!(
                    "the server exited ({status}) before answering; see {}",
                    log.display()
                ));
            }
            if crate::load::connect(&server.url, 1).await.is_ok() {
                return Ok(server);
            }
            if Instant::now() > deadline {
                server.stop();
                return Err(anyhow!("the server did not answer within 60 s"));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> Option<u64> {
        rss_kib(self.pid())
    }

    /// Samples the resident memory every 100 ms until the returned guard
    /// is dropped; the guard's `peak` is the largest sample.
    pub fn sample_rss(&self) -> RssSampler {
        let pid = self.pid();
        let peak = Arc::new(AtomicU64::new(rss_kib(pid).unwrap_or(0)));
        let p = peak.clone();
        let task = tokio::spawn(async move {
            loop {
                if let Some(kib) = rss_kib(pid) {
                    p.fetch_max(kib, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        RssSampler { peak, task }
    }

    /// SIGTERM, then waits up to 10 s for the exit.
    pub fn stop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

/// The peak resident memory while it lives.
pub struct RssSampler {
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn peak_kib(&self) -> u64 {
        self.peak.load(Ordering::Relaxed)
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// `VmRSS` of a process, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn free_port() -> anyhow::Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

/// Runs `exe args…` to completion; its output goes to `log`.
pub fn run(exe: &Path, args: &[&str], log: &Path) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let logfile = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .with_context(|| format!("opening {}", log.display()))?;
    let status = Command::new(exe)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(logfile.try_clone()?)
        .stderr(logfile)
        .status()
        .with_context(|| format!("running {} {}", exe.display(), args.join(" ")))?;
    if !status.success() {
        return Err(anyhow!(
            "`samverkan {}` failed ({status}); see {}",
            args.first().copied().unwrap_or_default(),
            log.display()
        ));
    }
    Ok(started.elapsed())
}

/// This program, to start as the server and the data loader.
pub fn this_exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("locating the samverkan binary")
}
