//! The database floor: the statements an RPC issued, captured from the
//! service itself, replayed by `pgbench` against the same database, as the
//! same role, at the same concurrency. What the service adds on top of
//! them (gRPC, authentication, authorization, tenant scoping, encoding) is
//! the gap between the two.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use hdrhistogram::Histogram;
use samverkan_db::{Database, Recorded};
use samverkan_server::{Limits, RateLimit, ServeConfig, Svc};

use crate::load;
use crate::ops::{self, Clients, DEV_AUDIENCE, DEV_ISSUER, Op, World};

/// The statements one call of each operation issued.
pub type Captured = BTreeMap<Op, Vec<Recorded>>;

/// Serves every service in this process over `app_url` (background work
/// off, so nothing else runs statements), calls each of `ops` once to warm
/// up and once recorded, and returns what the recorded call issued.
pub async fn capture(
    app_url: &str,
    secret: &str,
    world: &World,
    op_list: &[Op],
) -> anyhow::Result<Captured> {
    let db = Database::connect(app_url)
        .await
        .with_context(|| format!("connecting to {}", samverkan_db::redact(app_url)))?;
    let verifier = samverkan_auth::Verifier::new(samverkan_auth::AuthConfig::dev(
        secret,
        DEV_ISSUER,
        DEV_AUDIENCE,
    ))
    .await
    .map_err(|e| anyhow!("verifier: {e}"))?;
    let directory = Arc::new(samverkan_roles::LocalDirectory::new(db.clone()));
    let cfg = ServeConfig::new(db.clone(), Svc::ALL.to_vec(), verifier, directory)
        .with_limits(Limits {
            rate_limit: RateLimit::OFF,
            ..Limits::default()
        })
        .with_background_interval(None);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(samverkan_server::serve(listener, cfg, async {
        let _ = stopped.await;
    }));
    let result = async {
        let ch = load::connect(&url, 1).await?;
        let mut clients = Clients::new(ch[0].clone());
        let mut out = Captured::new();
        for (k, op) in op_list.iter().copied().enumerate() {
            if op == Op::Health {
                continue;
            }
            ops::call(&mut clients, world, op, 0, k as u64)
                .await
                .map_err(|s| anyhow!("{} (warm-up): {s}", op.name()))?;
            db.statements().start();
            let res = ops::call(&mut clients, world, op, 0, 1000 + k as u64).await;
            let recorded = db.statements().stop();
            res.map_err(|s| anyhow!("{}: {s}", op.name()))?;
            anyhow::ensure!(!recorded.is_empty(), "{} issued no statement", op.name());
            if let Some(bad) = recorded.iter().find(|r| r.failed) {
                return Err(anyhow!("{}: a statement failed: {}", op.name(), bad.sql));
            }
            out.insert(op, recorded);
        }
        Ok(out)
    }
    .await;
    let _ = stop.send(());
    let _ = server.await;
    result
}

/// The pgbench script of one captured call: its statements in one
/// transaction. (The service may spread them over two transactions, its
/// own and the roles service's authorization check; one is the cheaper
/// floor.)
pub fn script(statements: &[Recorded]) -> String {
    let mut s = String::from("BEGIN;\n");
    for r in statements {
        s.push_str(r.inlined.trim().trim_end_matches(';'));
        s.push_str(";\n");
    }
    s.push_str("COMMIT;\n");
    s
}

/// What pgbench measured for one script.
#[derive(Debug, Clone)]
pub struct PgbenchResult {
    pub tps: f64,
    /// Per-transaction latency in microseconds, from pgbench's log.
    pub latency: Histogram<u64>,
    pub failed: u64,
}

impl PgbenchResult {
    pub fn ms(&self, p: f64) -> f64 {
        self.latency.value_at_percentile(p) as f64 / 1000.0
    }
}

/// Where and as whom pgbench connects.
#[derive(Debug, Clone)]
pub struct PgTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub database: String,
}

impl PgTarget {
    /// Parses `postgres://user@host:port/database`.
    pub fn from_url(url: &str) -> anyhow::Result<Self> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or_else(|| anyhow!("not a postgres:// url"))?;
        let (auth, rest) = rest.rsplit_once('@').unwrap_or(("postgres", rest));
        let user = auth.split(':').next().unwrap_or("postgres").to_owned();
        let (hostport, database) = rest.split_once('/').unwrap_or((rest, "postgres"));
        let database = database.split('?').next().unwrap_or(database).to_owned();
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h.to_owned(), p.parse().context("port")?),
            None => (hostport.to_owned(), 5432),
        };
        Ok(Self {
            host,
            port,
            user,
            database,
        })
    }
}

/// Runs `script` with pgbench: `clients` connections for `duration`.
pub fn pgbench(
    target: &PgTarget,
    script_path: &Path,
    clients: usize,
    duration: Duration,
    work: &Path,
) -> anyhow::Result<PgbenchResult> {
    let logdir = work.join(format!(
        "pgbench-log-{}",
        script_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    ));
    let _ = std::fs::remove_dir_all(&logdir);
    std::fs::create_dir_all(&logdir)?;
    let prefix: PathBuf = logdir.join("tx");
    let out = Command::new("pgbench")
        .args(["-n", "-l", "--log-prefix"])
        .arg(&prefix)
        .args(["-c", &clients.to_string()])
        .args(["-j", &clients.min(2).to_string()])
        .args(["-T", &duration.as_secs().max(1).to_string()])
        .args(["-h", &target.host, "-p", &target.port.to_string()])
        .args(["-U", &target.user])
        .arg("-f")
        .arg(script_path)
        .arg(&target.database)
        .output()
        .context("running pgbench (it ships with PostgreSQL; is it on PATH?)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(anyhow!(
            "pgbench failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let value = |key: &str| -> Option<f64> {
        text.lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split('=').nth(1))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
    };
    let tps = value("tps").ok_or_else(|| anyhow!("no tps in pgbench's output: {text}"))?;
    let failed = text
        .lines()
        .find(|l| l.starts_with("number of failed transactions"))
        .and_then(|l| l.split(':').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for entry in std::fs::read_dir(&logdir)? {
        let body = std::fs::read_to_string(entry?.path())?;
        for line in body.lines() {
            // client_id transaction_no time script_no time_epoch time_us
            if let Some(us) = line
                .split_whitespace()
                .nth(2)
                .and_then(|v| v.parse::<u64>().ok())
            {
                let _ = latency.record(us.clamp(1, 60_000_000));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&logdir);
    Ok(PgbenchResult {
        tps,
        latency,
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::{PgTarget, script};
    use samverkan_db::Recorded;

    #[test]
    fn a_script_is_one_transaction_of_the_statements_as_run() {
        let r = |s: &str| Recorded {
            sql: String::new(),
            inlined: s.into(),
            failed: false,
        };
        let s = script(&[r("select 1;"), r("  SELECT 'Åsa'  ")]);
        assert_eq!(s, "BEGIN;\nselect 1;\nSELECT 'Åsa';\nCOMMIT;\n");
    }

    #[test]
    fn pg_urls_name_host_port_user_and_database() {
        let t = PgTarget::from_url("postgres://samverkan_app@127.0.0.1:5433/sv?sslmode=disable")
            .expect("parses");
        assert_eq!(
            (
                t.user.as_str(),
                t.host.as_str(),
                t.port,
                t.database.as_str()
            ),
            ("samverkan_app", "127.0.0.1", 5433, "sv")
        );
        assert!(PgTarget::from_url("sqlite://x.db").is_err());
    }
}
