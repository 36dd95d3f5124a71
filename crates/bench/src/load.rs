//! The load generator: `concurrency` callers for `duration`, each calling
//! as fast as answers come (closed loop) or at a fixed total rate, with a
//! latency histogram per operation and errors counted by status code.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use tonic::transport::{Channel, Endpoint};

use crate::ops::{self, Clients, Mix, Op, World};

/// How to load the server.
#[derive(Debug, Clone)]
pub struct Load {
    pub concurrency: usize,
    pub duration: Duration,
    /// Calls per second over all callers; `None`: each caller calls again
    /// as soon as it has its answer.
    pub rate: Option<f64>,
    pub mix: Mix,
    /// Callers share a connection in groups of this size, as the callers
    /// of one client app would.
    pub callers_per_connection: usize,
}

/// Latencies and errors of one operation.
#[derive(Debug, Clone)]
pub struct OpStats {
    /// Latency of successful calls, in microseconds.
    pub latency: Histogram<u64>,
    /// Failed calls by status code.
    pub errors: BTreeMap<String, u64>,
}

impl OpStats {
    fn new() -> Self {
        Self {
            // 1 µs .. 60 s at 3 significant digits.
            latency: Histogram::new_with_bounds(1, 60_000_000, 3).unwrap_or_else(|_| {
                Histogram::new(3).unwrap_or_else(|_| unreachable!("3 digits is valid"))
            }),
            errors: BTreeMap::new(),
        }
    }

    fn merge(&mut self, other: &OpStats) {
        let _ = self.latency.add(&other.latency);
        for (k, v) in &other.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
    }

    pub fn ok(&self) -> u64 {
        self.latency.len()
    }

    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    /// The latency at percentile `p` (0–100), in milliseconds.
    pub fn ms(&self, p: f64) -> f64 {
        self.latency.value_at_percentile(p) as f64 / 1000.0
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub elapsed: Duration,
    pub ops: BTreeMap<Op, OpStats>,
}

impl Outcome {
    /// Successful calls per second of `op`.
    pub fn throughput(&self, op: Op) -> f64 {
        self.ops
            .get(&op)
            .map(|s| s.ok() as f64 / self.elapsed.as_secs_f64())
            .unwrap_or(0.0)
    }

    pub fn total_throughput(&self) -> f64 {
        self.ops.values().map(OpStats::ok).sum::<u64>() as f64 / self.elapsed.as_secs_f64()
    }

    pub fn total_errors(&self) -> u64 {
        self.ops.values().map(OpStats::failed).sum()
    }

    /// All operations' latencies together.
    pub fn overall(&self) -> OpStats {
        let mut all = OpStats::new();
        for s in self.ops.values() {
            all.merge(s);
        }
        all
    }

    /// A plain-text table, one line per operation.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{:<28} {:>9} {:>9} {:>8} {:>8} {:>8} {:>8}  errors\n",
            "operation", "calls/s", "ok", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms"
        );
        let mut line = |name: &str, s: &OpStats, tput: f64| {
            let errors = if s.errors.is_empty() {
                "0".to_owned()
            } else {
                s.errors
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "{name:<28} {tput:>9.1} {:>9} {:>8.2} {:>8.2} {:>8.2} {:>8.2}  {errors}\n",
                s.ok(),
                s.ms(50.0),
                s.ms(90.0),
                s.ms(99.0),
                s.ms(99.9),
            ));
        };
        for (op, s) in &self.ops {
            line(op.name(), s, self.throughput(*op));
        }
        if self.ops.len() > 1 {
            line("all", &self.overall(), self.total_throughput());
        }
        out
    }
}

/// Opens `n` connections to `url`.
pub async fn connect(url: &str, n: usize) -> anyhow::Result<Vec<Channel>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n.max(1) {
        let ch = Endpoint::from_shared(url.to_owned())?
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .connect()
            .await
            .map_err(|e| anyhow::anyhow!("cannot connect to {url}: {e}"))?;
        out.push(ch);
    }
    Ok(out)
}

/// A small deterministic generator (xorshift*), so a run's sequence of
/// operations depends only on the caller's number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Runs `load` against the server behind `channels` as the people of `world`.
pub async fn run(channels: &[Channel], world: Arc<World>, load: &Load) -> Outcome {
    let concurrency = load.concurrency.max(1);
    let start = Instant::now();
    let deadline = start + load.duration;
    // With a fixed rate, caller k starts its calls at start + k·gap + j·period.
    let period = load
        .rate
        .filter(|r| *r > 0.0)
        .map(|r| Duration::from_secs_f64(concurrency as f64 / r));
    let mut tasks = Vec::with_capacity(concurrency);
    for k in 0..concurrency {
        let ch = channels[(k / load.callers_per_connection.max(1)) % channels.len()].clone();
        let world = world.clone();
        let mix = load.mix.clone();
        tasks.push(tokio::spawn(async move {
            let mut clients = Clients::new(ch);
            let mut rng =
                Rng(0x9E37_79B9_7F4A_7C15 ^ (k as u64 + 1).wrapping_mul(0xBF58_476D_1CE4_E5B9));
            let mut stats: BTreeMap<Op, OpStats> = BTreeMap::new();
            let offset = period.map(|p| p.mul_f64(k as f64 / concurrency as f64));
            let mut j: u32 = 0;
            loop {
                // The intended start: with a rate, the schedule, so that a
                // slow answer counts against every call it delayed.
                let intended = match (period, offset) {
                    (Some(p), Some(o)) => {
                        let at = start + o + p * j;
                        if at > Instant::now() {
                            tokio::time::sleep_until(at.into()).await;
                        }
                        at
                    }
                    _ => Instant::now(),
                };
                if intended >= deadline {
                    break;
                }
                j += 1;
                let r = rng.next();
                let op = mix.pick(r);
                let n = (k as u64) << 32 | u64::from(j);
                let res = ops::call(&mut clients, &world, op, k + (r >> 40) as usize, n).await;
                let s = stats.entry(op).or_insert_with(OpStats::new);
                match res {
                    Ok(()) => {
                        let us = intended.elapsed().as_micros().max(1) as u64;
                        let _ = s.latency.record(us.min(60_000_000));
                    }
                    Err(status) => {
                        *s.errors.entry(format!("{:?}", status.code())).or_default() += 1;
                    }
                }
            }
            stats
        }));
    }
    let mut ops: BTreeMap<Op, OpStats> = BTreeMap::new();
    for t in tasks {
        if let Ok(stats) = t.await {
            for (op, s) in stats {
                ops.entry(op).or_insert_with(OpStats::new).merge(&s);
            }
        }
    }
    Outcome {
        elapsed: start.elapsed().max(Duration::from_millis(1)),
        ops,
    }
}
