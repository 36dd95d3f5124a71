//! `samverkan bench`: the load generator against a running server, and the
//! whole measurement of docs/performance.md in one run (see the
//! `samverkan_bench` crate).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use samverkan_bench::load::{self, Load};
use samverkan_bench::ops::{Clients, Mix, World};
use samverkan_bench::report::{self, Engine, Plan};

use crate::common::{DEFAULT_DEV_SECRET, parse_duration};

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Load a running server (`samverkan serve --dev-auth`, data from
    /// `samverkan demo --scale N`) and print latency percentiles,
    /// throughput and errors by status code per operation.
    Load(LoadArgs),
    /// Measure everything of docs/performance.md: for each backend and
    /// scale, a database with `demo --scale N`, the server as its own
    /// process, the gRPC floor, each read RPC, the realistic mix, memory,
    /// and on PostgreSQL the pgbench floor of the captured statements.
    /// Exits 3 if any call failed.
    Report(ReportArgs),
}

#[derive(Args, Debug)]
pub struct LoadArgs {
    /// The server.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    url: String,
    /// The scale the data was loaded with (which people exist).
    #[arg(long, default_value_t = 1)]
    scale: u32,
    /// Concurrent callers.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// How long to load: e.g. 30s, 2m.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// Calls per second over all callers; without it each caller calls
    /// again as soon as it has its answer.
    #[arg(long)]
    rate: Option<f64>,
    /// `mixed` (what client apps do all day), `reads`, `writes`, or
    /// operations by RPC name, e.g. `ListMatters,GetMeeting`.
    #[arg(long, default_value = "mixed")]
    mix: String,
    /// The server's development secret.
    #[arg(long, env = "SAMVERKAN_DEV_SECRET", default_value = DEFAULT_DEV_SECRET, hide_default_value = true)]
    dev_secret: String,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    /// Data scales, e.g. 1,10,100.
    #[arg(long, default_value = "1,10,100", value_delimiter = ',')]
    scales: Vec<u32>,
    /// Backends: sqlite, postgres.
    #[arg(long, default_value = "sqlite,postgres", value_delimiter = ',')]
    backends: Vec<String>,
    /// Concurrent callers (and pgbench clients).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Duration of each measurement.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    duration: Duration,
    /// PostgreSQL as a role that may create databases; the databases
    /// <db-prefix>_<scale> are created beside it (and kept: a later run
    /// reuses the loaded data).
    #[arg(
        long,
        env = "SAMVERKAN_BENCH_ADMIN_URL",
        default_value = "postgres://postgres@127.0.0.1:5432/postgres"
    )]
    admin_url: String,
    /// Name prefix of the PostgreSQL databases.
    #[arg(long, default_value = "samverkan_bench")]
    db_prefix: String,
    /// The non-owner role the server and pgbench connect as.
    #[arg(long, default_value = "samverkan_app")]
    service_role: String,
    /// Scratch directory: SQLite files, server logs, pgbench scripts.
    #[arg(long, default_value = "target/bench")]
    work: PathBuf,
    /// Where to write the Markdown tables.
    #[arg(long, default_value = "target/bench/report.md")]
    out: PathBuf,
}

pub async fn run(cmd: BenchCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        BenchCommand::Load(a) => load_cmd(a).await,
        BenchCommand::Report(a) => {
            let engines = a
                .backends
                .iter()
                .map(|b| Engine::parse(b))
                .collect::<anyhow::Result<Vec<_>>>()?;
            anyhow::ensure!(!a.scales.is_empty(), "--scales: give at least one scale");
            let plan = Plan {
                engines,
                scales: a.scales,
                concurrency: a.concurrency.max(1),
                duration: a.duration,
                admin_url: a.admin_url,
                db_prefix: a.db_prefix,
                service_role: a.service_role,
                work: a.work,
                secret: format!("bench-{}", uuid::Uuid::now_v7().simple()),
            };
            let failed = report::run(&plan, &a.out).await?;
            eprintln!("the tables are in {}", a.out.display());
            if failed > 0 {
                eprintln!("{failed} calls failed; the tables give their status codes");
                return Ok(ExitCode::from(3));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn load_cmd(a: LoadArgs) -> anyhow::Result<ExitCode> {
    let mix = Mix::parse(&a.mix)?;
    let concurrency = a.concurrency.max(1);
    let channels = load::connect(&a.url, concurrency.div_ceil(4)).await?;
    let mut clients = Clients::new(channels[0].clone());
    let ttl = a.duration + Duration::from_secs(600);
    let world = World::discover(&mut clients, a.scale, &a.dev_secret, ttl).await?;
    eprintln!(
        "{} callers for {} s as {} people of {} municipalities in {} collaborations; mix: {}",
        concurrency,
        a.duration.as_secs(),
        world.principals(),
        world.municipalities(),
        world.places.len(),
        mix.describe()
    );
    let outcome = load::run(
        &channels,
        Arc::new(world),
        &Load {
            concurrency,
            duration: a.duration,
            rate: a.rate,
            mix,
            callers_per_connection: 4,
        },
    )
    .await;
    print!("{}", outcome.table());
    Ok(if outcome.total_errors() == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(3)
    })
}
