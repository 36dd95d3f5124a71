//! Assembles the gRPC server: the enabled services behind authentication
//! and per-RPC tracing, plus gRPC health, reflection (v1 and v1alpha,
//! listing exactly what is served) and gRPC-Web, with graceful shutdown.
//! Every call is bounded by [`Limits`]: request size, duration and a rate
//! per principal.
//!
//! A service this process serves is called by the others in process; one
//! it does not serve is called over gRPC at the address [`Remotes`] gives
//! (docs/architecture.md), on behalf of the request's principal.

pub mod admin;
pub mod background;
pub mod cors;
pub mod limits;
pub mod reasons;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use samverkan_auth::{AuthLayer, Verifier};
use samverkan_core::Directory;
use samverkan_core::remote::Peer;
use samverkan_db::Database;
use samverkan_proto::service_names;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic_health::ServingStatus;

pub use cors::Cors;
pub use limits::{Limits, RateLimit};

/// How long in-flight calls may run after a shutdown signal before the
/// server stops waiting for them; the process must be gone within 10 s.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(8);

/// A service the binary can serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Svc {
    Roles,
    Forums,
    Decisions,
    CostModel,
    Agreements,
}

impl Svc {
    pub const ALL: &'static [Svc] = &[
        Svc::Roles,
        Svc::Forums,
        Svc::Decisions,
        Svc::CostModel,
        Svc::Agreements,
    ];

    /// The short name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Svc::Roles => "roles",
            Svc::Forums => "forums",
            Svc::Decisions => "decisions",
            Svc::CostModel => "costmodel",
            Svc::Agreements => "agreements",
        }
    }

    /// The fully qualified gRPC service name.
    pub fn grpc_name(self) -> &'static str {
        match self {
            Svc::Roles => service_names::ROLES,
            Svc::Forums => service_names::FORUMS,
            Svc::Decisions => service_names::DECISIONS,
            Svc::CostModel => service_names::COSTMODEL,
            Svc::Agreements => service_names::AGREEMENTS,
        }
    }

    /// The services this one calls.
    pub fn needs(self) -> &'static [Svc] {
        match self {
            Svc::Roles => &[],
            Svc::Forums => &[Svc::Roles],
            Svc::Decisions => &[Svc::Roles, Svc::Forums],
            Svc::CostModel => &[Svc::Roles],
            Svc::Agreements => &[Svc::Roles, Svc::Decisions, Svc::CostModel],
        }
    }

    /// The `serve` flag that gives this service's address.
    pub fn url_flag(self) -> &'static str {
        match self {
            Svc::Roles => "--roles-url",
            Svc::Forums => "--forums-url",
            Svc::Decisions => "--decisions-url",
            Svc::CostModel => "--costmodel-url",
            Svc::Agreements => "--agreements-url",
        }
    }

    /// Parses `roles,forums,…`; `all` means every service.
    pub fn parse_list(s: &str) -> Result<Vec<Svc>, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if part == "all" {
                out.extend_from_slice(Self::ALL);
                continue;
            }
            let svc = Self::ALL
                .iter()
                .copied()
                .find(|x| x.name() == part)
                .ok_or_else(|| {
                    let known: Vec<_> = Self::ALL.iter().map(|x| x.name()).collect();
                    format!("unknown service {part:?}; known: {}", known.join(", "))
                })?;
            out.push(svc);
        }
        out.sort();
        out.dedup();
        if out.is_empty() {
            return Err("no service selected".into());
        }
        Ok(out)
    }
}

/// Where the services a process needs but does not serve are: `http://host:port`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Remotes {
    pub roles: Option<String>,
    pub forums: Option<String>,
    pub decisions: Option<String>,
    pub costmodel: Option<String>,
}

impl Remotes {
    /// The address given for `svc` (nobody calls the agreements service).
    pub fn url(&self, svc: Svc) -> Option<&str> {
        match svc {
            Svc::Roles => self.roles.as_deref(),
            Svc::Forums => self.forums.as_deref(),
            Svc::Decisions => self.decisions.as_deref(),
            Svc::CostModel => self.costmodel.as_deref(),
            Svc::Agreements => None,
        }
        .filter(|u| !u.trim().is_empty())
    }

    /// The services a process serving `services` calls but does not serve:
    /// the roles service always (every request's scope comes from it), and
    /// what each served service calls.
    pub fn needed(services: &[Svc]) -> Vec<Svc> {
        let mut out: Vec<Svc> = std::iter::once(Svc::Roles)
            .chain(services.iter().flat_map(|s| s.needs().iter().copied()))
            .filter(|s| !services.contains(s))
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Fails, naming the flag, if a process serving `services` needs a
    /// service that it neither serves nor has an address for.
    pub fn check(&self, services: &[Svc]) -> Result<(), String> {
        for svc in Self::needed(services) {
            if self.url(svc).is_none() {
                let by: Vec<&str> = services
                    .iter()
                    .filter(|s| s.needs().contains(&svc))
                    .map(|s| s.name())
                    .collect();
                let why = if by.is_empty() {
                    "every request's tenant scope comes from it".to_owned()
                } else {
                    format!(
                        "{} call{} it",
                        by.join(", "),
                        if by.len() == 1 { "s" } else { "" }
                    )
                };
                return Err(format!(
                    "the {} service is needed ({why}) but not served here: serve it too \
                     (--services …,{}) or give its address with {}",
                    svc.name(),
                    svc.name(),
                    svc.url_flag()
                ));
            }
        }
        Ok(())
    }
}

/// How this process reaches a service it does not serve.
#[derive(Clone, Debug, Default)]
struct Peers {
    roles: Option<Peer>,
    forums: Option<Peer>,
    decisions: Option<Peer>,
    costmodel: Option<Peer>,
}

impl Peers {
    /// Connections (made lazily, on the first call) to the services of
    /// `remotes` that `services` need and do not serve.
    fn connect(remotes: &Remotes, services: &[Svc]) -> anyhow::Result<Self> {
        let mut peers = Peers::default();
        for svc in Remotes::needed(services) {
            let Some(url) = remotes.url(svc) else {
                continue;
            };
            let peer = Peer::connect(svc.name(), url)
                .map_err(|e| anyhow::anyhow!("{}: {e}", svc.url_flag()))?;
            match svc {
                Svc::Roles => peers.roles = Some(peer),
                Svc::Forums => peers.forums = Some(peer),
                Svc::Decisions => peers.decisions = Some(peer),
                Svc::CostModel => peers.costmodel = Some(peer),
                Svc::Agreements => {}
            }
        }
        Ok(peers)
    }
}

/// The clients the served services call one another with: remote for a
/// service with a peer, else in process over the shared database.
struct Clients {
    db: Database,
    peers: Peers,
}

impl Clients {
    fn roles(&self) -> samverkan_roles::RolesClient {
        match &self.peers.roles {
            Some(p) => samverkan_roles::RolesClient::remote(p.clone()),
            None => samverkan_roles::RolesClient::local(self.db.clone()),
        }
    }

    fn forums(&self) -> samverkan_forums::ForumsClient {
        match &self.peers.forums {
            Some(p) => samverkan_forums::ForumsClient::remote(p.clone()),
            None => samverkan_forums::ForumsClient::local(self.db.clone(), self.roles()),
        }
    }

    fn decisions(&self) -> samverkan_decisions::DecisionsClient {
        match &self.peers.decisions {
            Some(p) => samverkan_decisions::DecisionsClient::remote(p.clone()),
            None => samverkan_decisions::DecisionsClient::local(
                self.db.clone(),
                self.roles(),
                self.forums(),
            ),
        }
    }

    fn costmodel(&self) -> samverkan_costmodel::CostModelClient {
        match &self.peers.costmodel {
            Some(p) => samverkan_costmodel::CostModelClient::remote(p.clone()),
            None => samverkan_costmodel::CostModelClient::local(self.db.clone(), self.roles()),
        }
    }
}

/// Everything the server needs.
pub struct ServeConfig {
    pub db: Database,
    pub services: Vec<Svc>,
    pub verifier: Verifier,
    pub directory: Arc<dyn Directory>,
    pub limits: Limits,
    /// How often the background work runs; `None`: not at all (a test that
    /// drives [`background::run_once_for`] itself).
    pub background_interval: Option<Duration>,
    /// Browser origins allowed to call (gRPC-Web); none by default.
    pub cors: Cors,
    /// Where the admin port answers `/metrics`, `/healthz` and `/readyz`;
    /// nowhere by default.
    pub admin: Option<TcpListener>,
    peers: Peers,
}

impl ServeConfig {
    /// A configuration with the default [`Limits`].
    pub fn new(
        db: Database,
        services: Vec<Svc>,
        verifier: Verifier,
        directory: Arc<dyn Directory>,
    ) -> Self {
        Self {
            db,
            services,
            verifier,
            directory,
            limits: Limits::default(),
            background_interval: Some(background::INTERVAL),
            cors: Cors::none(),
            admin: None,
            peers: Peers::default(),
        }
    }

    /// A process of a deployment whose services may run apart: a needed
    /// service not served here is called at its address in `remotes`, and
    /// is an error (naming the flag) without one. Requests' scopes come
    /// from the roles service: its tables when served here, else its API.
    pub fn deployed(
        db: Database,
        services: Vec<Svc>,
        verifier: Verifier,
        remotes: &Remotes,
    ) -> anyhow::Result<Self> {
        remotes.check(&services).map_err(anyhow::Error::msg)?;
        let peers = Peers::connect(remotes, &services)?;
        let directory: Arc<dyn Directory> = match &peers.roles {
            // The services share one database: the registry's change
            // version is read there, so no caller outlives a change.
            Some(roles) => Arc::new(samverkan_roles::RemoteDirectory::with_versions(
                samverkan_roles::RolesClient::remote(roles.clone()),
                db.clone(),
            )),
            None => Arc::new(samverkan_roles::LocalDirectory::new(db.clone())),
        };
        Ok(Self {
            peers,
            ..Self::new(db, services, verifier, directory)
        })
    }

    /// The same configuration with the admin port on `listener`.
    pub fn with_admin(mut self, listener: TcpListener) -> Self {
        self.admin = Some(listener);
        self
    }

    /// The same configuration allowing browser calls from `cors`'s origins.
    pub fn with_cors(mut self, cors: Cors) -> Self {
        self.cors = cors;
        self
    }

    /// The same configuration with `limits`.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// The same configuration with the background work every `interval`,
    /// or never.
    pub fn with_background_interval(mut self, interval: Option<Duration>) -> Self {
        self.background_interval = interval;
        self
    }
}

/// Reflection over exactly the served services and health (the builder is
/// consumed per version, so it is made twice).
fn reflection(services: &[Svc]) -> tonic_reflection::server::Builder<'static> {
    let mut b = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(samverkan_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health");
    for svc in services {
        b = b.with_service_name(svc.grpc_name());
    }
    b
}

/// Whether `path` (`/package.Service/Method`) is a method some Samverkan
/// server has: one of the services' (the roles service's call table, held
/// to the descriptor set by its tests), health or reflection. Metrics
/// label only these.
fn known_method(path: &str) -> bool {
    const INFRASTRUCTURE: &[&str] = &[
        "/grpc.health.v1.Health/Check",
        "/grpc.health.v1.Health/Watch",
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
    ];
    INFRASTRUCTURE.contains(&path)
        || path
            .strip_prefix('/')
            .and_then(samverkan_roles::domain::permissions::call_for)
            .is_some()
}

/// Serves on `listener` until `shutdown` resolves; then health turns
/// NOT_SERVING, in-flight calls finish (up to [`DRAIN_TIMEOUT`]) and this
/// returns.
pub async fn serve(
    listener: TcpListener,
    mut cfg: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
    let ready = admin::Readiness::default();
    let (admin_stop, admin_rx) = tokio::sync::watch::channel(false);
    let admin = cfg.admin.take().map(|l| {
        if let Ok(addr) = l.local_addr() {
            tracing::info!(%addr, "admin port: /metrics, /healthz, /readyz");
        }
        tokio::spawn(admin::serve(l, ready.clone(), admin_rx))
    });
    let reflection_v1 = reflection(&cfg.services)
        .build_v1()
        .context("build reflection v1")?;
    let reflection_v1alpha = reflection(&cfg.services)
        .build_v1alpha()
        .context("build reflection v1alpha")?;

    let auth = AuthLayer::new(cfg.verifier.clone(), cfg.directory.clone());
    let limits = &cfg.limits;
    // Outermost first. The caller's `grpc-timeout` is enforced by tonic
    // around all of these; the server's own ceiling includes the time spent
    // authenticating; the rate limit needs the principal authentication
    // found.
    // CORS outermost: a browser's preflight is answered before anything
    // asks for a token, and every answer (refusals too) carries the
    // headers a script may read.
    let layers = tower::ServiceBuilder::new()
        .option_layer(cfg.cors.layer())
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(samverkan_telemetry::GrpcTraceLayer::new().with_known_methods(known_method))
        .layer(limits::MaxDurationLayer::new(limits.max_call_duration))
        .layer(auth)
        .layer(limits::RateLimitLayer::new(limits.rate_limit))
        .layer(limits::OversizeLayer)
        .into_inner();
    let max_request = limits.max_request_bytes;

    let mut builder = Server::builder().accept_http1(true).layer(layers);
    let mut router = builder
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha);
    let clients = Clients {
        db: cfg.db.clone(),
        peers: cfg.peers.clone(),
    };
    // Tasks that relay database notifications to this process (PostgreSQL
    // LISTEN), stopped with the server.
    let (listen_stop, listen_rx) = tokio::sync::watch::channel(false);
    let mut listeners = Vec::new();
    for svc in &cfg.services {
        router = match svc {
            Svc::Roles => router.add_service(
                samverkan_roles::RolesApi::new(cfg.db.clone())
                    .into_server()
                    .max_decoding_message_size(max_request),
            ),
            Svc::Forums => {
                let api = samverkan_forums::ForumsApi::new(cfg.db.clone(), clients.roles())
                    .with_max_document_bytes(limits.max_document_bytes);
                // Watchers hear changes made through every instance.
                listeners.push(tokio::spawn(
                    api.events().listen(cfg.db.clone(), listen_rx.clone()),
                ));
                router.add_service(
                    api.into_server()
                        .max_decoding_message_size(limits.forums_request_bytes()),
                )
            }
            Svc::Decisions => router.add_service(
                samverkan_decisions::DecisionsApi::new(
                    cfg.db.clone(),
                    clients.roles(),
                    clients.forums(),
                )
                .into_server()
                .max_decoding_message_size(max_request),
            ),
            Svc::CostModel => router.add_service(
                samverkan_costmodel::CostModelApi::new(cfg.db.clone(), clients.roles())
                    .into_server()
                    .max_decoding_message_size(max_request),
            ),
            Svc::Agreements => router.add_service(
                samverkan_agreements::AgreementsApi::new(
                    cfg.db.clone(),
                    clients.roles(),
                    clients.decisions(),
                    clients.costmodel(),
                )
                .into_server()
                .max_decoding_message_size(max_request),
            ),
        };
    }

    // SERVING only once the schema is current: asked now, and if it is not,
    // again until it is (the reporter's default is SERVING for the server
    // as a whole).
    let current = pending_migrations(&cfg.db)
        .await
        .is_ok_and(|p| p.is_empty());
    let status = if current {
        ServingStatus::Serving
    } else {
        ServingStatus::NotServing
    };
    health.set_service_status("", status).await;
    for svc in &cfg.services {
        health.set_service_status(svc.grpc_name(), status).await;
    }
    ready.set(current);
    let schema = (!current).then(|| {
        tokio::spawn(serving_when_migrated(
            cfg.db.clone(),
            health.clone(),
            ready.clone(),
            cfg.services.clone(),
        ))
    });

    let addr = listener.local_addr().context("listener address")?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    // Every answer is written as headers, data and trailers. Without
    // TCP_NODELAY, Nagle's algorithm holds the later writes until the
    // client acknowledges the first, and a client delaying its ACK turns
    // each call into 40 ms (found by `samverkan bench`, docs/performance.md).
    // tonic sets it only on listeners it binds itself, not on this one.
    let incoming = tokio_stream::StreamExt::map(TcpListenerStream::new(listener), |conn| {
        conn.inspect(|stream| {
            if let Err(e) = stream.set_nodelay(true) {
                tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection");
            }
        })
    });
    let server = tokio::spawn(router.serve_with_incoming_shutdown(incoming, async {
        let _ = stop_rx.await;
    }));
    let remote = |p: &Option<Peer>| p.as_ref().map(|p| p.target().to_owned());
    tracing::info!(
        %addr,
        services = ?cfg.services.iter().map(|s| s.name()).collect::<Vec<_>>(),
        roles_at = ?remote(&cfg.peers.roles),
        forums_at = ?remote(&cfg.peers.forums),
        decisions_at = ?remote(&cfg.peers.decisions),
        costmodel_at = ?remote(&cfg.peers.costmodel),
        max_request_bytes = limits.max_request_bytes,
        max_call_ms = limits.max_call_duration.map(|d| d.as_millis()),
        rate_per_second = limits.rate_limit.per_second,
        rate_burst = limits.rate_limit.burst,
        "serving"
    );
    // Background work (and outbox delivery to its consumers) runs where
    // its services are served.
    let (bg_stop, bg_rx) = tokio::sync::watch::channel(false);
    // `background_interval: None` is a test or a benchmark that runs the
    // rounds itself, or counts statements and must see only its own.
    let background = cfg
        .background_interval
        .filter(|_| background::has_work(&cfg.services))
        .map(|every| {
            tokio::spawn(background::run(
                cfg.db.clone(),
                cfg.services.clone(),
                every,
                bg_rx,
            ))
        });

    shutdown.await;
    if let Some(task) = schema {
        task.abort();
    }
    let _ = bg_stop.send(true);
    let _ = listen_stop.send(true);
    for task in listeners {
        let _ = task.await;
    }
    if let Some(task) = background {
        let _ = task.await;
    }
    tracing::info!("shutting down: health NOT_SERVING, draining in-flight calls");
    ready.set(false);
    health
        .set_service_status("", ServingStatus::NotServing)
        .await;
    for svc in &cfg.services {
        health
            .set_service_status(svc.grpc_name(), ServingStatus::NotServing)
            .await;
    }
    let _ = stop_tx.send(());
    match tokio::time::timeout(DRAIN_TIMEOUT, server).await {
        Ok(joined) => joined.context("server task")?.context("grpc server")?,
        Err(_) => tracing::warn!("in-flight calls did not finish in time; stopping anyway"),
    }
    let _ = admin_stop.send(true);
    if let Some(task) = admin {
        let _ = task.await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Resolves when the process receives SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Applies every migration: the storage layer's and each service's.
pub async fn migrate_all(db: &Database) -> anyhow::Result<()> {
    db.migrate::<samverkan_db::migration::Migrator>()
        .await
        .context("migrate storage tables")?;
    db.migrate::<samverkan_roles::migration::Migrator>()
        .await
        .context("migrate roles")?;
    db.migrate::<samverkan_forums::migration::Migrator>()
        .await
        .context("migrate forums")?;
    db.migrate::<samverkan_decisions::migration::Migrator>()
        .await
        .context("migrate decisions")?;
    db.migrate::<samverkan_costmodel::migration::Migrator>()
        .await
        .context("migrate costmodel")?;
    db.migrate::<samverkan_agreements::migration::Migrator>()
        .await
        .context("migrate agreements")?;
    Ok(())
}

/// The migrations this binary knows that the database lacks, as
/// `migrator/name`: none when the schema is current.
pub async fn pending_migrations(db: &Database) -> anyhow::Result<Vec<String>> {
    let mut pending = Vec::new();
    let mut add = |migrator: &str, names: Vec<String>| {
        pending.extend(names.into_iter().map(|n| format!("{migrator}/{n}")));
    };
    add(
        "db",
        db.pending::<samverkan_db::migration::Migrator>().await?,
    );
    add(
        "roles",
        db.pending::<samverkan_roles::migration::Migrator>().await?,
    );
    add(
        "forums",
        db.pending::<samverkan_forums::migration::Migrator>()
            .await?,
    );
    add(
        "decisions",
        db.pending::<samverkan_decisions::migration::Migrator>()
            .await?,
    );
    add(
        "costmodel",
        db.pending::<samverkan_costmodel::migration::Migrator>()
            .await?,
    );
    add(
        "agreements",
        db.pending::<samverkan_agreements::migration::Migrator>()
            .await?,
    );
    Ok(pending)
}

/// How often a server whose database lacks migrations looks again.
const SCHEMA_POLL: Duration = Duration::from_secs(5);

/// Reports SERVING once the database has every migration this binary
/// needs: a new version's instance started before `samverkan migrate` ran
/// stays out of the load balancer (its readiness probe asks the health
/// service) instead of serving on an old schema.
async fn serving_when_migrated(
    db: Database,
    health: tonic_health::server::HealthReporter,
    ready: admin::Readiness,
    services: Vec<Svc>,
) {
    let mut warned = false;
    loop {
        match pending_migrations(&db).await {
            Ok(p) if p.is_empty() => break,
            Ok(p) => {
                if !warned {
                    tracing::error!(
                        pending = ?p,
                        "the database lacks migrations this version needs: not serving until `samverkan migrate` has run"
                    );
                    warned = true;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not read the applied migrations; asking again")
            }
        }
        tokio::time::sleep(SCHEMA_POLL).await;
    }
    if warned {
        tracing::info!("the database has every migration: serving");
    }
    health.set_service_status("", ServingStatus::Serving).await;
    for svc in &services {
        health
            .set_service_status(svc.grpc_name(), ServingStatus::Serving)
            .await;
    }
    ready.set(true);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_label_only_methods_a_server_has() {
        assert!(known_method("/samverkan.roles.v1.RolesService/WhoAmI"));
        assert!(known_method("/grpc.health.v1.Health/Check"));
        assert!(!known_method("/samverkan.roles.v1.RolesService/Nope"));
        assert!(!known_method("/x/y"));
    }

    #[test]
    fn service_lists() {
        assert_eq!(Svc::parse_list("roles").ok(), Some(vec![Svc::Roles]));
        assert_eq!(
            Svc::parse_list("forums,roles").ok(),
            Some(vec![Svc::Roles, Svc::Forums])
        );
        assert_eq!(Svc::parse_list("all").ok(), Some(Svc::ALL.to_vec()));
        assert_eq!(
            Svc::parse_list(" roles , roles ").ok(),
            Some(vec![Svc::Roles])
        );
        assert!(Svc::parse_list("forum").is_err());
        assert!(Svc::parse_list("").is_err());
    }

    #[test]
    fn what_a_process_needs_from_elsewhere() {
        assert_eq!(Remotes::needed(Svc::ALL), []);
        assert_eq!(Remotes::needed(&[Svc::Roles]), []);
        assert_eq!(Remotes::needed(&[Svc::CostModel]), [Svc::Roles]);
        assert_eq!(
            Remotes::needed(&[Svc::Agreements]),
            [Svc::Roles, Svc::Decisions, Svc::CostModel]
        );
        assert_eq!(
            Remotes::needed(&[Svc::Decisions, Svc::Forums]),
            [Svc::Roles]
        );
    }

    #[test]
    fn a_needed_service_without_an_address_names_its_flag() {
        assert_eq!(Remotes::default().check(Svc::ALL), Ok(()));
        let err = Remotes::default().check(&[Svc::Decisions]).unwrap_err();
        assert!(err.contains("--roles-url"), "{err}");
        let remotes = Remotes {
            roles: Some("http://roles:50051".into()),
            ..Remotes::default()
        };
        let err = remotes.check(&[Svc::Decisions]).unwrap_err();
        assert!(
            err.contains("forums")
                && err.contains("--forums-url")
                && err.contains("decisions calls it"),
            "{err}"
        );
        let err = Remotes::default().check(&[Svc::Forums]).unwrap_err();
        assert!(err.contains("forums calls it"), "{err}");
        let all = Remotes {
            roles: Some("http://roles:50051".into()),
            decisions: Some("http://decisions:50051".into()),
            costmodel: Some("http://costmodel:50051".into()),
            ..Remotes::default()
        };
        assert_eq!(all.check(&[Svc::Agreements]), Ok(()));
        // A blank address (an empty environment variable) is no address.
        let blank = Remotes {
            roles: Some(" ".into()),
            ..Remotes::default()
        };
        assert!(blank.check(&[Svc::Forums]).is_err());
    }
}
