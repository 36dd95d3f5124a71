use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use samverkan_auth::{AuthConfig, KeySource};
use samverkan_db::{Backend, Database, SqliteFile};
use samverkan_server::{ServeConfig, Svc};
use samverkan_telemetry::{LogFormat, TelemetryConfig};

/// The development secret used when `--dev-auth` is given without
/// `SAMVERKAN_DEV_SECRET`. Never for production: anyone can read it here.
const DEFAULT_DEV_SECRET: &str = "samverkan-dev-secret-not-for-production";

#[derive(Parser, Debug)]
#[command(
    name = "samverkan",
    version,
    about = "Samverkan: the backend of an inter-municipal IT collaboration"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the gRPC services (all by default).
    Serve(Box<ServeArgs>),
    /// Apply every service's migrations and exit. Run as the role that owns the tables.
    Migrate(MigrateArgs),
    /// Load the demo collaboration (Tranemo–Ulricehamn); running it twice changes nothing.
    Demo(DbArgs),
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
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand, Debug)]
enum DevCommand {
    /// Mint a development token (HS256) for a demo person.
    Token {
        /// The demo person's e-mail, e.g. sofia.lindstrom@tranemo.se.
        #[arg(long)]
        person: String,
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
    /// Token claim that names the municipality.
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
}

async fn open(args: &DbArgs) -> anyhow::Result<Database> {
    let url = match &args.database_url {
        Some(url) if !url.is_empty() => url.clone(),
        _ => SqliteFile::default_url().context("create ./data")?,
    };
    Database::connect(&url)
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
            "no token verification configured: pass --jwks-file or --jwks-url, or --dev-auth for local development"
        ),
    };
    let mut cfg = AuthConfig::dev(&a.jwt.dev_secret, &a.jwt.jwt_issuer, &a.jwt.jwt_audience);
    cfg.keys = keys;
    cfg.person_claim = a.person_claim.clone();
    cfg.municipality_claim = a.municipality_claim.clone();
    cfg.municipality_map = parse_map(&a.municipality_map)?;
    Ok(cfg)
}

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve(*args).await,
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
            let db = open(&args).await?;
            if db.backend() == Backend::Sqlite {
                samverkan_server::migrate_all(&db).await?;
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
                    ttl_minutes,
                    jwt,
                },
        } => {
            let Some(p) = samverkan_roles::demo::person(&person) else {
                let known: Vec<_> = samverkan_roles::demo::PEOPLE
                    .iter()
                    .map(|p| p.email)
                    .collect();
                bail!(
                    "{person} is not a demo person; choose one of: {}",
                    known.join(", ")
                );
            };
            let token = samverkan_auth::mint_dev_token(
                &jwt.dev_secret,
                &jwt.jwt_issuer,
                &jwt.jwt_audience,
                p.email,
                p.municipality,
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
    let auth = auth_config(&args)?;
    let db = open(&args.db).await?;
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
    let cfg = ServeConfig {
        directory: Arc::new(samverkan_roles::LocalDirectory::new(db.clone())),
        db,
        services,
        verifier,
    };
    samverkan_server::serve(listener, cfg, samverkan_server::shutdown_signal()).await?;
    telemetry.shutdown();
    Ok(ExitCode::SUCCESS)
}
