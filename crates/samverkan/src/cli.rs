use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use samverkan_auth::{AuthConfig, IssuerConfig, KeySource};
use samverkan_db::PoolOptions;
use samverkan_db::{Backend, Database, SqliteFile};
use samverkan_server::{Cors, Limits, RateLimit, Remotes, ServeConfig, Svc};
use samverkan_telemetry::{LogFormat, TelemetryConfig};

use crate::common::{DEFAULT_DEV_SECRET, parse_duration};

#[derive(Parser, Debug)]
#[command(
    name = "samverkan",
    version,
    about = "Samverkan: the backend of an inter-municipal IT collaboration"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    client: crate::client::GlobalArgs,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the gRPC services (all by default).
    Serve(Box<ServeArgs>),
    /// Apply every service's migrations and exit. Run as the role that owns the tables.
    Migrate(MigrateArgs),
    /// Load the demo collaboration (Tranemo–Ulricehamn); running it twice changes nothing.
    /// With --scale N: N collaborations and N layers of the demo's forum history,
    /// generated through the API (see crates/demo).
    Demo(DemoArgs),
    /// Development helpers.
    Dev {
        #[command(subcommand)]
        command: DevCommand,
    },
    /// Collaborations.
    Collaboration {
        #[command(subcommand)]
        command: CollaborationCommand,
    },
    /// Copy an SQLite database consistently while the server runs (a single
    /// server's backup; PostgreSQL is backed up by its cluster).
    Backup(BackupArgs),
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Ask a running server's gRPC health service; exit 0 when SERVING, 1 otherwise.
    Health(crate::health_cmd::HealthArgs),
    /// Load generator and performance report (docs/performance.md).
    Bench {
        #[command(subcommand)]
        command: crate::bench_cmd::BenchCommand,
    },
    #[command(flatten)]
    Client(crate::client::ClientCommand),
}

#[derive(Subcommand, Debug)]
enum DevCommand {
    /// Mint a development token (HS256) for a demo person, or with
    /// --municipality for anyone registered (e.g. a new member's administrator).
    Token {
        /// The person's e-mail (their subject), e.g. sofia.lindstrom@tranemo.se.
        #[arg(long)]
        person: String,
        /// The person's municipality; needed for anyone but the demo people.
        #[arg(long)]
        municipality: Option<String>,
        /// Validity in minutes.
        #[arg(long, default_value_t = 480)]
        ttl_minutes: u64,
        #[command(flatten)]
        jwt: JwtArgs,
    },
}

#[derive(Subcommand, Debug)]
enum CollaborationCommand {
    /// Create a collaboration from a JSON spec (members, people and their
    /// first roles); running it again adds only what is missing. See
    /// docs/collaboration-spec.example.json.
    Create {
        /// The spec file.
        #[arg(long)]
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Walk every audit chain and name the first entry that does not match.
    Verify(DbArgs),
}

#[derive(Args, Debug, Clone)]
struct DbArgs {
    /// Database URL: postgres://… or sqlite://…; default ./data/samverkan.db.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args, Debug, Clone)]
struct DemoArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Scaled demo data for benchmarks: N collaborations (the demo first) with
    /// meetings, matters, minutes, decisions and cost models; 1..=1000.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=1000))]
    scale: Option<u32>,
}

#[derive(Args, Debug, Clone)]
struct BackupArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Where to write the copy; must not exist.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args, Debug, Clone)]
struct MigrateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// PostgreSQL: the non-owner role the services connect as, granted use of the tables.
    #[arg(long, env = "SAMVERKAN_SERVICE_ROLE", default_value = "samverkan_app")]
    grant_to: String,
}

#[derive(Args, Debug, Clone)]
struct JwtArgs {
    /// Accepted token issuer (`iss`).
    #[arg(long, env = "SAMVERKAN_JWT_ISSUER", default_value = "samverkan-dev")]
    jwt_issuer: String,
    /// Accepted token audience (`aud`).
    #[arg(long, env = "SAMVERKAN_JWT_AUDIENCE", default_value = "samverkan")]
    jwt_audience: String,
    /// The HS256 development secret (only with --dev-auth).
    #[arg(long, env = "SAMVERKAN_DEV_SECRET", default_value = DEFAULT_DEV_SECRET, hide_default_value = true)]
    dev_secret: String,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum LogFormatArg {
    Text,
    Json,
}

#[derive(Args, Debug)]
struct ServeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// Address to listen on.
    #[arg(long, env = "SAMVERKAN_LISTEN", default_value = "127.0.0.1:50051")]
    listen: SocketAddr,
    /// Address of the admin port (plain HTTP): Prometheus `/metrics`,
    /// `/healthz` and `/readyz` (503 until the database has every migration).
    /// Off unless given, e.g. `0.0.0.0:9090`.
    #[arg(long, env = "SAMVERKAN_ADMIN_ADDR")]
    admin_addr: Option<SocketAddr>,
    /// Services to serve, comma-separated (roles, …) or `all`.
    #[arg(long, env = "SAMVERKAN_SERVICES", default_value = "all")]
    services: String,
    /// Load the demo collaboration before serving.
    #[arg(long)]
    demo: bool,
    /// Apply migrations before serving. Always done on SQLite; on PostgreSQL
    /// run `samverkan migrate` as the owner instead, or pass this flag.
    #[arg(long)]
    migrate: bool,
    /// Accept HS256 development tokens signed with SAMVERKAN_DEV_SECRET.
    #[arg(long, env = "SAMVERKAN_DEV_AUTH")]
    dev_auth: bool,
    /// Browser origins that may call the gRPC-Web endpoint, comma-separated
    /// (`https://samverkan.tranemo.se`); none by default, the local
    /// development origins with --dev-auth. Empty: none.
    #[arg(long, env = "SAMVERKAN_CORS_ORIGINS")]
    cors_origins: Option<String>,
    /// A JSON file listing every trusted issuer and the municipalities each
    /// may vouch for (docs/operations.md, "Signing in"). Instead of the
    /// single-issuer flags below.
    #[arg(long, env = "SAMVERKAN_AUTH_CONFIG")]
    auth_config: Option<PathBuf>,
    /// JWKS file with the identity provider's public keys.
    #[arg(long, env = "SAMVERKAN_JWKS_FILE", conflicts_with = "jwks_url")]
    jwks_file: Option<PathBuf>,
    /// JWKS URL, refreshed in the background.
    #[arg(long, env = "SAMVERKAN_JWKS_URL")]
    jwks_url: Option<String>,
    /// Seconds between JWKS refreshes.
    #[arg(long, env = "SAMVERKAN_JWKS_REFRESH_SECS", default_value_t = 300)]
    jwks_refresh_secs: u64,
    /// Token claim that identifies the person.
    #[arg(long, env = "SAMVERKAN_PERSON_CLAIM", default_value = "sub")]
    person_claim: String,
    /// The municipalities the single issuer may vouch for, comma-separated
    /// (required with --jwks-file/--jwks-url; any, with --dev-auth).
    #[arg(long, env = "SAMVERKAN_ISSUER_MUNICIPALITIES", default_value = "")]
    issuer_municipalities: String,
    /// Token claim that names the municipality; `none` when the issuer
    /// vouches for one municipality and its tokens carry no such claim.
    #[arg(
        long,
        env = "SAMVERKAN_MUNICIPALITY_CLAIM",
        default_value = "municipality"
    )]
    municipality_claim: String,
    /// Map claim values to municipality ids: `<value>=<id>,…` (e.g. an Entra ID tenant id).
    #[arg(long, env = "SAMVERKAN_MUNICIPALITY_MAP", default_value = "")]
    municipality_map: String,
    #[command(flatten)]
    jwt: JwtArgs,
    /// Log format.
    #[arg(long, env = "SAMVERKAN_LOG_FORMAT", value_enum, default_value = "text")]
    log_format: LogFormatArg,
    /// Log filter (tracing EnvFilter syntax).
    #[arg(long, env = "RUST_LOG", default_value = "info")]
    log: String,
    /// OTLP/gRPC endpoint for traces, e.g. http://127.0.0.1:4317.
    #[arg(long, env = "OTEL_EXPORTER_OTLP_ENDPOINT")]
    otlp_endpoint: Option<String>,
    #[command(flatten)]
    limits: LimitArgs,
    #[command(flatten)]
    remotes: RemoteArgs,
}

/// Where the services are that this process needs but does not serve (a
/// deployment with the services apart). A service served here is called in
/// process; one needed and neither served nor given is a startup error.
#[derive(Args, Debug, Clone, Default)]
struct RemoteArgs {
    /// Address of the roles service when not served here, e.g. http://samverkan-roles:50051.
    #[arg(long, env = "SAMVERKAN_ROLES_URL")]
    roles_url: Option<String>,
    /// Address of the forums service when not served here.
    #[arg(long, env = "SAMVERKAN_FORUMS_URL")]
    forums_url: Option<String>,
    /// Address of the decisions service when not served here.
    #[arg(long, env = "SAMVERKAN_DECISIONS_URL")]
    decisions_url: Option<String>,
    /// Address of the cost model service when not served here.
    #[arg(long, env = "SAMVERKAN_COSTMODEL_URL")]
    costmodel_url: Option<String>,
}

impl RemoteArgs {
    fn remotes(&self) -> Remotes {
        Remotes {
            roles: self.roles_url.clone(),
            forums: self.forums_url.clone(),
            decisions: self.decisions_url.clone(),
            costmodel: self.costmodel_url.clone(),
        }
    }
}

/// What one caller may cost the server (see `samverkan_server::limits`).
#[derive(Args, Debug, Clone)]
struct LimitArgs {
    /// Largest request message, in bytes; larger ones answer RESOURCE_EXHAUSTED.
    #[arg(long, env = "SAMVERKAN_MAX_REQUEST_BYTES", default_value_t = samverkan_server::limits::DEFAULT_MAX_REQUEST_BYTES)]
    max_request_bytes: usize,
    /// Largest document the forums service stores, in bytes.
    #[arg(long, env = "SAMVERKAN_MAX_DOCUMENT_BYTES", default_value_t = default_max_document_bytes())]
    max_document_bytes: usize,
    /// Longest a call may run when the caller sets no shorter deadline:
    /// e.g. 30s, 500ms, 2m; 0 for no server-side limit.
    #[arg(long, env = "SAMVERKAN_MAX_CALL_DURATION", default_value = "30s", value_parser = parse_duration)]
    max_call_duration: Duration,
    /// Calls per second per person (token bucket refill); 0 turns the limit off.
    #[arg(long, env = "SAMVERKAN_RATE_LIMIT_PER_SECOND", default_value_t = RateLimit::default().per_second)]
    rate_limit_per_second: f64,
    /// Calls a person may make at once before the per-second rate applies.
    #[arg(long, env = "SAMVERKAN_RATE_LIMIT_BURST", default_value_t = RateLimit::default().burst)]
    rate_limit_burst: u32,
    /// Database connections in the pool.
    #[arg(long, env = "SAMVERKAN_DB_MAX_CONNECTIONS", default_value_t = PoolOptions::default().max_connections, value_parser = clap::value_parser!(u32).range(1..))]
    db_max_connections: u32,
    /// How long a call waits for a database connection (the database
    /// unreachable, or every connection busy) before it answers
    /// UNAVAILABLE: e.g. 30s, 2s.
    #[arg(long, env = "SAMVERKAN_DB_ACQUIRE_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    db_acquire_timeout: Duration,
}

fn default_max_document_bytes() -> usize {
    Limits::default().max_document_bytes
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_request_bytes: self.max_request_bytes,
            max_document_bytes: self.max_document_bytes,
            max_call_duration: (!self.max_call_duration.is_zero())
                .then_some(self.max_call_duration),
            rate_limit: RateLimit {
                per_second: self.rate_limit_per_second,
                burst: self.rate_limit_burst,
            },
            db_pool: PoolOptions {
                max_connections: self.db_max_connections,
                acquire_timeout: self.db_acquire_timeout,
            },
        }
    }
}

async fn open(args: &DbArgs) -> anyhow::Result<Database> {
    open_with(args, &PoolOptions::default()).await
}

async fn open_with(args: &DbArgs, pool: &PoolOptions) -> anyhow::Result<Database> {
    let url = match &args.database_url {
        Some(url) if !url.is_empty() => url.clone(),
        _ => SqliteFile::default_url().context("create ./data")?,
    };
    Database::connect_with(&url, pool)
        .await
        .with_context(|| format!("connect to {}", samverkan_db::redact(&url)))
}

fn parse_map(s: &str) -> anyhow::Result<std::collections::BTreeMap<String, String>> {
    let mut map = std::collections::BTreeMap::new();
    for pair in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("--municipality-map: {pair:?} is not <claim value>=<municipality id>");
        };
        map.insert(k.trim().to_owned(), v.trim().to_owned());
    }
    Ok(map)
}

fn auth_config(a: &ServeArgs) -> anyhow::Result<AuthConfig> {
    if let Some(path) = &a.auth_config {
        if a.jwks_file.is_some() || a.jwks_url.is_some() || a.dev_auth {
            bail!("--auth-config lists every issuer: drop --jwks-file, --jwks-url and --dev-auth");
        }
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("read --auth-config {}", path.display()))?;
        let cfg: AuthConfig = serde_json::from_str(&text)
            .with_context(|| format!("--auth-config {}", path.display()))?;
        for i in &cfg.issuers {
            tracing::info!(issuer = %i.issuer, municipalities = ?i.municipalities, "trusted issuer");
        }
        return Ok(cfg);
    }
    let keys = match (&a.jwks_file, &a.jwks_url, a.dev_auth) {
        (Some(path), _, _) => KeySource::JwksFile(path.clone()),
        (None, Some(url), _) => KeySource::JwksUrl {
            url: url.clone(),
            refresh: Duration::from_secs(a.jwks_refresh_secs.max(10)),
        },
        (None, None, true) => {
            tracing::warn!(
                "development authentication is on: HS256 tokens signed with the development secret are accepted"
            );
            KeySource::DevHmac {
                secret: a.jwt.dev_secret.clone(),
            }
        }
        (None, None, false) => bail!(
            "no token verification configured: pass --auth-config, --jwks-file or --jwks-url, or --dev-auth for local development"
        ),
    };
    let municipalities: Vec<&str> = match (a.issuer_municipalities.trim(), &keys) {
        ("", KeySource::DevHmac { .. }) => vec![samverkan_auth::ANY_MUNICIPALITY],
        ("", _) => bail!(
            "--issuer-municipalities: name the municipalities the issuer may vouch for, e.g. tranemo,ulricehamn"
        ),
        (list, _) => list
            .split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .collect(),
    };
    let mut issuer = IssuerConfig::new(
        a.jwt.jwt_issuer.clone(),
        a.jwt.jwt_audience.clone(),
        keys,
        &municipalities,
    );
    issuer.person_claim = a.person_claim.clone();
    issuer.municipality_claim =
        Some(a.municipality_claim.clone()).filter(|c| !c.trim().is_empty() && c != "none");
    issuer.municipality_map = parse_map(&a.municipality_map)?;
    Ok(AuthConfig::single(issuer))
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
        Command::Health(args) => crate::health_cmd::run(args).await,
        Command::Bench { command } => crate::bench_cmd::run(command).await,
        Command::Client(cmd) => crate::client::run(cli.client, cmd).await,
        Command::Migrate(args) => {
            init_cli_logging();
            let db = open(&args.db).await?;
            samverkan_server::migrate_all(&db).await?;
            if db.backend() == Backend::Postgres {
                db.grant_service_role(&args.grant_to)
                    .await
                    .with_context(|| {
                        format!(
                            "grant the service role {:?} (create it first, see README)",
                            args.grant_to
                        )
                    })?;
            }
            println!("migrations applied");
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(args) => {
            init_cli_logging();
            let db = open(&args.db).await?;
            if db.backend() == Backend::Sqlite {
                samverkan_server::migrate_all(&db).await?;
            }
            if let Some(scale) = args.scale {
                let started = std::time::Instant::now();
                let summary = samverkan_demo::load_scaled(&db, scale).await?;
                println!(
                    "scaled demo data in {:.1} s: {summary}",
                    started.elapsed().as_secs_f64()
                );
                return Ok(ExitCode::SUCCESS);
            }
            let loaded = samverkan_roles::demo::load(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            samverkan_costmodel::demo::load(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "demo data: {} municipalities, {} collaborations, {} memberships, {} people added",
                loaded.municipalities, loaded.collaborations, loaded.memberships, loaded.people
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Dev {
            command:
                DevCommand::Token {
                    person,
                    municipality,
                    ttl_minutes,
                    jwt,
                },
        } => {
            // The token only claims who the person is; what they may do
            // follows from their assignments on the server, as for anyone.
            let municipality = crate::client::dev_municipality(&person, municipality)?;
            let token = samverkan_auth::mint_dev_token(
                &jwt.dev_secret,
                &jwt.jwt_issuer,
                &jwt.jwt_audience,
                &person,
                &municipality,
                Duration::from_secs(ttl_minutes.max(1) * 60),
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Collaboration {
            command: CollaborationCommand::Create { file, db },
        } => {
            init_cli_logging();
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("read {}", file.display()))?;
            let spec: samverkan_roles::bootstrap::Spec = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a collaboration spec", file.display()))?;
            let db = open(&db).await?;
            if db.backend() == Backend::Sqlite {
                samverkan_server::migrate_all(&db).await?;
            }
            let loaded = samverkan_roles::bootstrap::bootstrap(&db, &spec)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "{}: {} municipalities, {} memberships, {} people, {} role assignments added",
                spec.name,
                loaded.municipalities,
                loaded.memberships,
                loaded.people,
                loaded.assignments
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup(args) => {
            init_cli_logging();
            if args.out.exists() {
                bail!(
                    "{} finns redan: en säkerhetskopia skriver aldrig över en annan",
                    args.out.display()
                );
            }
            let db = open(&args.db).await?;
            db.backup_sqlite(&args.out)
                .await
                .with_context(|| format!("säkerhetskopiera till {}", args.out.display()))?;
            let bytes = std::fs::metadata(&args.out)
                .with_context(|| format!("läs {}", args.out.display()))?
                .len();
            println!(
                "säkerhetskopia skriven: {} ({bytes} byte) / backup written",
                args.out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            command: AuditCommand::Verify(args),
        } => {
            init_cli_logging();
            let db = open(&args).await?;
            let tenants = samverkan_roles::store::all_municipality_ids(&db)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            let report = samverkan_db::audit::verify(&db, &tenants)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            if report.broken.is_empty() {
                println!(
                    "audit trail intact: {} entries in {} chains",
                    report.entries, report.chains
                );
                Ok(ExitCode::SUCCESS)
            } else {
                for b in &report.broken {
                    println!("TAMPERED: {b}");
                }
                println!(
                    "audit trail broken: {} of {} chains ({} entries read)",
                    report.broken.len(),
                    report.chains,
                    report.entries
                );
                Ok(ExitCode::from(2))
            }
        }
    }
}

fn init_cli_logging() {
    let cfg = TelemetryConfig {
        log_format: LogFormat::Text,
        filter: "warn".into(),
        service_name: "samverkan".into(),
        otlp_endpoint: None,
    };
    // A second initialisation in one process is harmless here.
    let _ = samverkan_telemetry::init(&cfg).map(std::mem::forget);
}

/// The browser origins allowed to call: as given, else the local
/// development origins with `--dev-auth`, else none.
fn cors(a: &ServeArgs) -> anyhow::Result<Cors> {
    let cors = match &a.cors_origins {
        Some(list) => Cors::origins(list.split(',')).context("--cors-origins")?,
        None if a.dev_auth => Cors::dev(),
        None => Cors::none(),
    };
    if cors.is_empty() {
        tracing::info!("no browser origin may call (CORS): set --cors-origins for web clients");
    } else {
        tracing::info!(origins = ?cors.allowed().collect::<Vec<_>>(), "browser origins allowed (CORS)");
    }
    Ok(cors)
}

async fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let telemetry = samverkan_telemetry::init(&TelemetryConfig {
        log_format: match args.log_format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        },
        filter: args.log.clone(),
        service_name: "samverkan".into(),
        otlp_endpoint: args.otlp_endpoint.clone(),
    })?;
    let services =
        Svc::parse_list(&args.services).map_err(|e| anyhow::anyhow!("--services: {e}"))?;
    let remotes = args.remotes.remotes();
    remotes.check(&services).map_err(anyhow::Error::msg)?;
    let auth = auth_config(&args)?;
    let limits = args.limits.limits();
    let db = open_with(&args.db, &limits.db_pool).await?;
    if db.backend() == Backend::Sqlite || args.migrate {
        samverkan_server::migrate_all(&db).await?;
    }
    if args.demo {
        let loaded = samverkan_roles::demo::load(&db)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        samverkan_costmodel::demo::load(&db)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        tracing::info!(?loaded, "demo data loaded");
    }
    let verifier = samverkan_auth::Verifier::new(auth)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listen on {}", args.listen))?;
    let cors = cors(&args)?;
    let mut cfg = ServeConfig::deployed(db, services, verifier, &remotes)?
        .with_limits(limits)
        .with_cors(cors);
    if let Some(addr) = args.admin_addr {
        let admin = tokio::net::TcpListener::bind(addr)
            .await
            .with_context(|| format!("admin port on {addr}"))?;
        cfg = cfg.with_admin(admin);
    }
    samverkan_server::serve(listener, cfg, samverkan_server::shutdown_signal()).await?;
    telemetry.shutdown();
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_limits_from_flags() {
        let cli = Cli::try_parse_from([
            "samverkan",
            "serve",
            "--max-request-bytes",
            "1024",
            "--max-call-duration",
            "0",
            "--rate-limit-per-second",
            "5",
            "--rate-limit-burst",
            "7",
            "--db-max-connections",
            "2",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        let l = args.limits.limits();
        assert_eq!(l.max_request_bytes, 1024);
        assert_eq!(l.max_call_duration, None);
        assert_eq!(
            l.rate_limit,
            RateLimit {
                per_second: 5.0,
                burst: 7
            }
        );
        assert_eq!(l.db_pool.max_connections, 2);
        assert!(
            Cli::try_parse_from(["samverkan", "serve", "--db-max-connections", "0"]).is_err(),
            "a pool of no connections cannot serve"
        );
    }

    #[test]
    fn browser_origins_from_flags() {
        assert!(cors(&serve_args(&[])).unwrap().is_empty());
        let dev = cors(&serve_args(&["--dev-auth"])).unwrap();
        assert!(dev.allowed().any(|o| o == "http://localhost:5173"));
        let given = cors(&serve_args(&[
            "--dev-auth",
            "--cors-origins",
            "https://samverkan.tranemo.se,https://app.ulricehamn.se",
        ]))
        .unwrap();
        assert_eq!(
            given.allowed().collect::<Vec<_>>(),
            ["https://samverkan.tranemo.se", "https://app.ulricehamn.se"]
        );
        assert!(
            cors(&serve_args(&["--dev-auth", "--cors-origins", ""]))
                .unwrap()
                .is_empty()
        );
        let err = cors(&serve_args(&["--cors-origins", "*"])).unwrap_err();
        assert!(format!("{err:#}").contains("wildcard"), "{err:#}");
    }

    fn serve_args(flags: &[&str]) -> Box<ServeArgs> {
        let mut argv = vec!["samverkan", "serve"];
        argv.extend_from_slice(flags);
        let Command::Serve(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("expected serve");
        };
        args
    }

    #[test]
    fn every_issuer_is_bound_to_its_municipalities() {
        // One issuer from flags: it must say whom it vouches for.
        let err = auth_config(&serve_args(&["--jwks-file", "keys.json"])).unwrap_err();
        assert!(err.to_string().contains("--issuer-municipalities"), "{err}");
        let cfg = auth_config(&serve_args(&[
            "--jwks-file",
            "keys.json",
            "--issuer-municipalities",
            "tranemo, ulricehamn",
            "--municipality-claim",
            "none",
        ]))
        .unwrap();
        let [issuer] = &cfg.issuers[..] else {
            panic!("one issuer")
        };
        assert_eq!(issuer.municipalities, ["tranemo", "ulricehamn"]);
        assert_eq!(issuer.municipality_claim, None);
        // Development tokens may be for any municipality.
        let cfg = auth_config(&serve_args(&["--dev-auth"])).unwrap();
        assert_eq!(
            cfg.issuers[0].municipalities,
            [samverkan_auth::ANY_MUNICIPALITY]
        );
        // The example file in deploy/ is a valid configuration.
        let example = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../deploy/auth/issuers.example.json"
        );
        let cfg = auth_config(&serve_args(&["--auth-config", example])).unwrap();
        assert_eq!(cfg.issuers.len(), 2);
        assert!(cfg.issuers.iter().all(|i| i.person_claim == "oid"));
        let err = auth_config(&serve_args(&["--auth-config", example, "--dev-auth"])).unwrap_err();
        assert!(
            err.to_string().contains("--auth-config lists every issuer"),
            "{err}"
        );
    }

    #[test]
    fn serve_remote_addresses_from_flags() {
        let cli = Cli::try_parse_from([
            "samverkan",
            "serve",
            "--services",
            "agreements",
            "--roles-url",
            "http://roles:50051",
            "--decisions-url",
            "http://decisions:50051",
            "--costmodel-url",
            "http://costmodel:50051",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        let r = args.remotes.remotes();
        assert_eq!(r.roles.as_deref(), Some("http://roles:50051"));
        assert_eq!(r.forums, None);
        assert_eq!(r.check(&[Svc::Agreements]), Ok(()));
        let err = RemoteArgs::default()
            .remotes()
            .check(&[Svc::Agreements])
            .unwrap_err();
        assert!(err.contains("--roles-url"), "{err}");
    }

    #[test]
    fn default_limits_match_the_library() {
        let cli = Cli::try_parse_from(["samverkan", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("expected serve");
        };
        let (l, d) = (args.limits.limits(), Limits::default());
        assert_eq!(l.max_request_bytes, d.max_request_bytes);
        assert_eq!(l.max_document_bytes, d.max_document_bytes);
        assert_eq!(l.max_call_duration, d.max_call_duration);
        assert_eq!(l.rate_limit, d.rate_limit);
        assert_eq!(l.db_pool.max_connections, d.db_pool.max_connections);
    }
}
