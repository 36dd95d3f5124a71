//! Assembles the gRPC server: the enabled services behind authentication
//! and per-RPC tracing, plus gRPC health, reflection (v1 and v1alpha,
//! listing exactly what is served) and gRPC-Web, with graceful shutdown.
//! Every call is bounded by [`Limits`]: request size, duration and a rate
//! per principal.

pub mod background;
pub mod limits;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use samverkan_auth::{AuthLayer, Verifier};
use samverkan_core::Directory;
use samverkan_db::Database;
use samverkan_proto::service_names;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::Server;
use tonic_health::ServingStatus;

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

/// Everything the server needs.
pub struct ServeConfig {
    pub db: Database,
    pub services: Vec<Svc>,
    pub verifier: Verifier,
    pub directory: Arc<dyn Directory>,
    pub limits: Limits,
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
        }
    }

    /// The same configuration with `limits`.
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
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

/// Serves on `listener` until `shutdown` resolves; then health turns
/// NOT_SERVING, in-flight calls finish (up to [`DRAIN_TIMEOUT`]) and this
/// returns.
pub async fn serve(
    listener: TcpListener,
    cfg: ServeConfig,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let (health, health_service) = tonic_health::server::health_reporter();
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
    let layers = tower::ServiceBuilder::new()
        .layer(tonic_web::GrpcWebLayer::new())
        .layer(samverkan_telemetry::GrpcTraceLayer::new())
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
    for svc in &cfg.services {
        router = match svc {
            Svc::Roles => router.add_service(
                samverkan_roles::RolesApi::new(cfg.db.clone())
                    .into_server()
                    .max_decoding_message_size(max_request),
            ),
            // The roles client is in process: the services share the binary.
            Svc::Forums => router.add_service(
                samverkan_forums::ForumsApi::new(
                    cfg.db.clone(),
                    samverkan_roles::RolesClient::local(cfg.db.clone()),
                )
                .with_max_document_bytes(limits.max_document_bytes)
                .into_server()
                .max_decoding_message_size(limits.forums_request_bytes()),
            ),
            Svc::Decisions => {
                let roles = samverkan_roles::RolesClient::local(cfg.db.clone());
                let forums = samverkan_forums::ForumsClient::local(cfg.db.clone(), roles.clone());
                router.add_service(
                    samverkan_decisions::DecisionsApi::new(cfg.db.clone(), roles, forums)
                        .into_server()
                        .max_decoding_message_size(max_request),
                )
            }
            Svc::CostModel => router.add_service(
                samverkan_costmodel::CostModelApi::new(
                    cfg.db.clone(),
                    samverkan_roles::RolesClient::local(cfg.db.clone()),
                )
                .into_server()
                .max_decoding_message_size(max_request),
            ),
            Svc::Agreements => {
                let roles = samverkan_roles::RolesClient::local(cfg.db.clone());
                let forums = samverkan_forums::ForumsClient::local(cfg.db.clone(), roles.clone());
                let decisions = samverkan_decisions::DecisionsClient::local(
                    cfg.db.clone(),
                    roles.clone(),
                    forums,
                );
                let costmodel =
                    samverkan_costmodel::CostModelClient::local(cfg.db.clone(), roles.clone());
                router.add_service(
                    samverkan_agreements::AgreementsApi::new(
                        cfg.db.clone(),
                        roles,
                        decisions,
                        costmodel,
                    )
                    .into_server()
                    .max_decoding_message_size(max_request),
                )
            }
        };
    }

    health.set_service_status("", ServingStatus::Serving).await;
    for svc in &cfg.services {
        health
            .set_service_status(svc.grpc_name(), ServingStatus::Serving)
            .await;
    }

    let addr = listener.local_addr().context("listener address")?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(router.serve_with_incoming_shutdown(
        TcpListenerStream::new(listener),
        async {
            let _ = stop_rx.await;
        },
    ));
    tracing::info!(
        %addr,
        services = ?cfg.services.iter().map(|s| s.name()).collect::<Vec<_>>(),
        max_request_bytes = limits.max_request_bytes,
        max_call_ms = limits.max_call_duration.map(|d| d.as_millis()),
        rate_per_second = limits.rate_limit.per_second,
        rate_burst = limits.rate_limit.burst,
        "serving"
    );
    // Outbox delivery runs where its receivers are served.
    let (bg_stop, bg_rx) = tokio::sync::watch::channel(false);
    let background = cfg
        .services
        .iter()
        .any(|s| matches!(s, Svc::Forums | Svc::Decisions | Svc::Agreements))
        .then(|| tokio::spawn(background::run(cfg.db.clone(), bg_rx)));

    shutdown.await;
    let _ = bg_stop.send(true);
    if let Some(task) = background {
        let _ = task.await;
    }
    tracing::info!("shutting down: health NOT_SERVING, draining in-flight calls");
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
