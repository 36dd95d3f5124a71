//! The whole measurement in one run: for each backend and data scale, a
//! database loaded with `samverkan demo --scale N`, the server started as
//! its own process, the gRPC floor, each read RPC alone, the realistic
//! mix, resident memory idle and under load, and on PostgreSQL the
//! database floor; then the tables of docs/performance.md.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::floor::{self, PgTarget, PgbenchResult};
use crate::load::{self, Load, Outcome};
use crate::ops::{Clients, Mix, Op, World};
use crate::process::{self, Server};

/// The database engines measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
        }
    }

    pub fn parse(s: &str) -> anyhow::Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "sqlite" => Ok(Engine::Sqlite),
            "postgres" | "postgresql" | "pg" => Ok(Engine::Postgres),
            other => anyhow::bail!("unknown backend {other:?}; use sqlite or postgres"),
        }
    }
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct Plan {
    pub engines: Vec<Engine>,
    pub scales: Vec<u32>,
    pub concurrency: usize,
    pub duration: Duration,
    /// A PostgreSQL URL of a role that may create databases; the scratch
    /// databases `<db_prefix>_<scale>` are created on its server.
    pub admin_url: String,
    pub db_prefix: String,
    /// The non-owner role the server and pgbench connect as.
    pub service_role: String,
    /// Scratch files: SQLite databases, logs, pgbench scripts.
    pub work: PathBuf,
    pub secret: String,
}

/// One backend at one scale.
pub struct Measured {
    pub engine: Engine,
    pub scale: u32,
    pub generation: Duration,
    pub principals: usize,
    pub municipalities: usize,
    pub collaborations: usize,
    pub idle_rss_kib: u64,
    pub load_rss_kib: u64,
    pub floor: Outcome,
    pub reads: BTreeMap<Op, Outcome>,
    pub mixed: Outcome,
    pub db_floor: BTreeMap<Op, (usize, PgbenchResult)>,
}

impl Measured {
    /// Calls that failed, in every measurement of this backend and scale.
    pub fn failed_calls(&self) -> u64 {
        self.floor.total_errors()
            + self.mixed.total_errors()
            + self.reads.values().map(Outcome::total_errors).sum::<u64>()
            + self.db_floor.values().map(|(_, r)| r.failed).sum::<u64>()
    }
}

fn db_name(prefix: &str, scale: u32) -> anyhow::Result<String> {
    anyhow::ensure!(
        !prefix.is_empty()
            && prefix
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
        "the database prefix must be a-z, 0-9 and _"
    );
    Ok(format!("{prefix}_{scale}"))
}

fn with_db(url: &str, user: Option<&str>, db: &str) -> anyhow::Result<String> {
    let t = PgTarget::from_url(url)?;
    let user = user.unwrap_or(&t.user);
    Ok(format!("postgres://{user}@{}:{}/{db}", t.host, t.port))
}

async fn prepare_postgres(plan: &Plan, scale: u32) -> anyhow::Result<(String, String)> {
    let admin = samverkan_db::Database::connect(&plan.admin_url)
        .await
        .context("connecting with --admin-url")?;
    let name = db_name(&plan.db_prefix, scale)?;
    let exists = admin
        .query_admin(&format!(
            "select 1 from pg_database where datname = '{name}'"
        ))
        .await?;
    if exists.is_empty() {
        admin
            .execute_admin(&format!("create database {name}"))
            .await?;
    }
    let role = &plan.service_role;
    anyhow::ensure!(
        role.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
        "service role must be a-z and _"
    );
    let roles = admin
        .query_admin(&format!("select 1 from pg_roles where rolname = '{role}'"))
        .await?;
    if roles.is_empty() {
        admin
            .execute_admin(&format!("create role {role} login"))
            .await?;
    }
    admin.close().await?;
    Ok((
        with_db(&plan.admin_url, None, &name)?,
        with_db(&plan.admin_url, Some(role), &name)?,
    ))
}

/// Loads scale `scale` on `engine` and returns (owner URL, service URL, time taken).
async fn prepare(
    plan: &Plan,
    engine: Engine,
    scale: u32,
) -> anyhow::Result<(String, String, Duration)> {
    let exe = process::this_exe()?;
    let log = plan
        .work
        .join(format!("prepare-{}-{scale}.log", engine.name()));
    let (owner, app) = match engine {
        Engine::Sqlite => {
            let path = plan.work.join(format!("bench-{scale}.db"));
            let url = samverkan_db::SqliteFile::url(&path)?;
            (url.clone(), url)
        }
        Engine::Postgres => prepare_postgres(plan, scale).await?,
    };
    let mut args = vec!["migrate", "--database-url", owner.as_str()];
    if engine == Engine::Postgres {
        args.extend(["--grant-to", plan.service_role.as_str()]);
    }
    process::run(&exe, &args, &log)?;
    let scale_arg = scale.to_string();
    let took = process::run(
        &exe,
        &["demo", "--scale", &scale_arg, "--database-url", &owner],
        &log,
    )?;
    if engine == Engine::Postgres {
        // What autovacuum does shortly after a bulk load: the generator
        // updates each matter three times, and until the dead versions are
        // vacuumed every index still points at them (ListAgendaBacklog at
        // 100×: 7 400 index entries for 200 live rows); without statistics
        // the planner guesses at row counts.
        let db = samverkan_db::Database::connect(&owner).await?;
        db.execute_admin("VACUUM ANALYZE").await?;
        db.close().await?;
    }
    Ok((owner, app, took))
}

/// Measures one backend at one scale.
pub async fn measure(plan: &Plan, engine: Engine, scale: u32) -> anyhow::Result<Measured> {
    std::fs::create_dir_all(&plan.work)?;
    eprintln!("== {} at {scale}×: loading data", engine.name());
    let (_owner, app, generation) = prepare(plan, engine, scale).await?;
    eprintln!(
        "   loaded in {:.1} s; starting the server",
        generation.as_secs_f64()
    );
    let exe = process::this_exe()?;
    let log = plan
        .work
        .join(format!("serve-{}-{scale}.log", engine.name()));
    let mut server = Server::start(&exe, &app, &plan.secret, &log).await?;
    let channels = load::connect(&server.url, plan.concurrency.div_ceil(4)).await?;
    let mut clients = Clients::new(channels[0].clone());
    let ttl = plan.duration * 40 + Duration::from_secs(600);
    let world = Arc::new(World::discover(&mut clients, scale, &plan.secret, ttl).await?);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss_kib = server.rss_kib().unwrap_or(0);
    let run = |mix: Mix| Load {
        concurrency: plan.concurrency,
        duration: plan.duration,
        rate: None,
        mix,
        callers_per_connection: 4,
    };
    let sampler = server.sample_rss();
    eprintln!("   gRPC floor (health)");
    let floor = load::run(&channels, world.clone(), &run(Mix::only(Op::Health))).await;
    // Each read alone, as the people of the demo collaboration: its forums
    // hold N layers of history, so this is where growth with N shows.
    let deepest = Arc::new(world.only(&samverkan_demo::collaboration_id(1).to_string()));
    let mut reads = BTreeMap::new();
    for op in Op::READS.iter().copied() {
        eprintln!("   {}", op.name());
        reads.insert(
            op,
            load::run(&channels, deepest.clone(), &run(Mix::only(op))).await,
        );
    }
    eprintln!("   realistic mix");
    let mixed = load::run(&channels, world.clone(), &run(Mix::realistic())).await;
    let load_rss_kib = sampler.peak_kib();
    drop(sampler);
    let mut db_floor = BTreeMap::new();
    if engine == Engine::Postgres {
        eprintln!("   database floor (pgbench)");
        let captured = floor::capture(&app, &plan.secret, &deepest, Op::READS).await?;
        let target = PgTarget::from_url(&app)?;
        let dir = plan.work.join(format!("scripts-{scale}"));
        std::fs::create_dir_all(&dir)?;
        for (op, statements) in &captured {
            let path = dir.join(format!("{}.sql", op.name()));
            std::fs::write(&path, floor::script(statements))?;
            let r = floor::pgbench(&target, &path, plan.concurrency, plan.duration, &plan.work)?;
            db_floor.insert(*op, (statements.len(), r));
        }
    }
    server.stop();
    Ok(Measured {
        engine,
        scale,
        generation,
        principals: world.principals(),
        municipalities: world.municipalities(),
        collaborations: world.places.len(),
        idle_rss_kib,
        load_rss_kib,
        floor,
        reads,
        mixed,
        db_floor,
    })
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

fn errors(o: &Outcome) -> String {
    let mut by_code: BTreeMap<String, u64> = BTreeMap::new();
    for s in o.ops.values() {
        for (k, v) in &s.errors {
            *by_code.entry(k.clone()).or_default() += v;
        }
    }
    if by_code.is_empty() {
        "0".into()
    } else {
        by_code
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The Markdown tables of every measurement.
pub fn render(plan: &Plan, all: &[Measured]) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "Concurrency {} callers, {} s per measurement, page size {}.\n",
        plan.concurrency,
        plan.duration.as_secs(),
        crate::ops::PAGE_SIZE
    );
    for m in all {
        let _ = writeln!(
            md,
            "### {} at {}× ({} collaborations, {} municipalities, {} principals; `demo --scale` took {:.0} s, adding only what was missing)\n",
            m.engine.name(),
            m.scale,
            m.collaborations,
            m.municipalities,
            m.principals,
            m.generation.as_secs_f64()
        );
        let floor = m.floor.throughput(Op::Health);
        let _ = writeln!(
            md,
            "| RPC | calls/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | of gRPC floor | of DB floor | DB floor calls/s (statements) |"
        );
        let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---|---:|---:|---:|");
        let mut row = |name: &str, o: &Outcome, op: Option<Op>| {
            let s = o.overall();
            let tput = o.total_throughput();
            let (of_db, db) = match op.and_then(|op| m.db_floor.get(&op)) {
                Some((n, r)) => (
                    format!("{:.0} %", 100.0 * tput / r.tps),
                    format!("{:.0} ({n})", r.tps),
                ),
                None => ("–".into(), "–".into()),
            };
            let _ = writeln!(
                md,
                "| {name} | {tput:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {:.0} % | {of_db} | {db} |",
                s.ms(50.0),
                s.ms(90.0),
                s.ms(99.0),
                s.ms(99.9),
                errors(o),
                100.0 * tput / floor.max(1e-9),
            );
        };
        row("Health.Check (gRPC floor)", &m.floor, None);
        for (op, o) in &m.reads {
            row(op.name(), o, Some(*op));
        }
        row("realistic mix", &m.mixed, None);
        let _ = writeln!(md);
        let _ = writeln!(md, "Realistic mix by operation:\n");
        let _ = writeln!(md, "| operation | calls/s | p50 ms | p99 ms | errors |");
        let _ = writeln!(md, "|---|---:|---:|---:|---|");
        for (op, s) in &m.mixed.ops {
            let e = if s.errors.is_empty() {
                "0".to_owned()
            } else {
                s.errors
                    .iter()
                    .map(|(k, v)| format!("{k} {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let _ = writeln!(
                md,
                "| {} | {:.0} | {:.2} | {:.2} | {e} |",
                op.name(),
                m.mixed.throughput(*op),
                s.ms(50.0),
                s.ms(99.0)
            );
        }
        if !m.db_floor.is_empty() {
            let _ = writeln!(
                md,
                "\nDatabase floor (pgbench, the captured statements in one transaction):\n"
            );
            let _ = writeln!(md, "| RPC | statements | tps | p50 ms | p99 ms | failed |");
            let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|");
            for (op, (n, r)) in &m.db_floor {
                let _ = writeln!(
                    md,
                    "| {} | {n} | {:.0} | {:.2} | {:.2} | {} |",
                    op.name(),
                    r.tps,
                    r.ms(50.0),
                    r.ms(99.0),
                    r.failed
                );
            }
        }
        let _ = writeln!(md);
    }
    // Growth: p99 of each read at each scale, against the smallest.
    let mut engines: Vec<Engine> = all.iter().map(|m| m.engine).collect();
    engines.dedup();
    for e in engines {
        let runs: Vec<&Measured> = all.iter().filter(|m| m.engine == e).collect();
        if runs.len() < 2 {
            continue;
        }
        let _ = writeln!(
            md,
            "### Growth on {}: p99 ms (calls/s) by data scale\n",
            e.name()
        );
        let head: Vec<String> = runs.iter().map(|m| format!("{}×", m.scale)).collect();
        let _ = writeln!(
            md,
            "| RPC | {} | p99 {}× / {}× |",
            head.join(" | "),
            runs[runs.len() - 1].scale,
            runs[0].scale
        );
        let _ = writeln!(md, "|---|{}---:|", "---:|".repeat(runs.len()));
        for op in Op::READS {
            let cells: Vec<String> = runs
                .iter()
                .map(|m| {
                    m.reads
                        .get(op)
                        .map(|o| {
                            format!("{:.2} ({:.0})", o.overall().ms(99.0), o.total_throughput())
                        })
                        .unwrap_or_else(|| "–".into())
                })
                .collect();
            let p99 = |m: &Measured| m.reads.get(op).map(|o| o.overall().ms(99.0)).unwrap_or(0.0);
            let ratio = p99(runs[runs.len() - 1]) / p99(runs[0]).max(1e-9);
            let _ = writeln!(md, "| {} | {} | {ratio:.2} |", op.name(), cells.join(" | "));
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "### Resident memory of the server process\n");
    let _ = writeln!(md, "| backend | scale | idle | peak under load |");
    let _ = writeln!(md, "|---|---:|---:|---:|");
    for m in all {
        let _ = writeln!(
            md,
            "| {} | {}× | {} | {} |",
            m.engine.name(),
            m.scale,
            mib(m.idle_rss_kib),
            mib(m.load_rss_kib)
        );
    }
    md
}

/// Runs the whole plan, printing each table as it is measured, and writes
/// the Markdown report to `out`. Answers how many calls failed: in a
/// healthy run, none.
pub async fn run(plan: &Plan, out: &Path) -> anyhow::Result<u64> {
    let mut all = Vec::new();
    for engine in &plan.engines {
        for scale in &plan.scales {
            let m = measure(plan, *engine, *scale).await?;
            eprintln!("{}", render(plan, std::slice::from_ref(&m)));
            all.push(m);
        }
    }
    let md = render(plan, &all);
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(out, &md).with_context(|| format!("writing {}", out.display()))?;
    println!("{md}");
    Ok(all.iter().map(Measured::failed_calls).sum())
}
