use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use samverkan_db::Database;
use samverkan_server::{Limits, RateLimit, Remotes, ServeConfig, Svc};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::{Channel, Endpoint};

use crate::TestDb;

/// The development HMAC secret tests sign with.
pub const DEV_SECRET: &str = "samverkan-test-secret";
pub const DEV_ISSUER: &str = "samverkan-dev";
pub const DEV_AUDIENCE: &str = "samverkan";

/// A server running in this process on `127.0.0.1:<ephemeral>`.
pub struct TestServer {
    pub addr: SocketAddr,
    /// The admin port, when [`Setup::admin`] asked for it.
    pub admin: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Loads the demo organisation and cost model (idempotent), with server-side
/// errors shown in a failing test's output.
async fn prepare(db: &TestDb) {
    samverkan_telemetry::init_for_tests();
    samverkan_roles::demo::load(&db.app)
        .await
        .expect("load demo data");
    samverkan_costmodel::demo::load(&db.app)
        .await
        .expect("load cost model demo data");
}

async fn verifier(config: samverkan_auth::AuthConfig) -> samverkan_auth::Verifier {
    samverkan_auth::Verifier::new(config)
        .await
        .expect("verifier")
}

async fn bind() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
}

/// The limits of test servers: the defaults but for the rate limit, which
/// is off (tests drive one principal far faster than a person would).
fn test_limits() -> Limits {
    Limits {
        rate_limit: RateLimit::OFF,
        ..Limits::default()
    }
}

/// What a test server starts with beyond the defaults
/// ([`TestServer::start_set_up`]).
#[derive(Default)]
pub struct Setup {
    /// The tokens accepted; `None`: development tokens ([`dev_auth_config`]).
    pub auth: Option<samverkan_auth::AuthConfig>,
    /// Browser origins allowed to call; none by default.
    pub cors: samverkan_server::Cors,
    /// Whether the admin port (`/metrics`, `/healthz`, `/readyz`) answers,
    /// at [`TestServer::admin`].
    pub admin: bool,
}

/// The authentication configuration tests use: HS256 with [`DEV_SECRET`].
pub fn dev_auth_config() -> samverkan_auth::AuthConfig {
    samverkan_auth::AuthConfig::dev(DEV_SECRET, DEV_ISSUER, DEV_AUDIENCE)
}

impl TestServer {
    /// Starts the given services over `db.app` (the demo organisation is
    /// loaded first) and waits until the port accepts connections.
    ///
    /// The limits are the defaults but for the rate limit, which is off:
    /// tests drive one principal far faster than a person would (a hundred
    /// concurrent retries, say). `tests/limits.rs` tests the rate limit
    /// through [`TestServer::start_with`].
    pub async fn start(db: &TestDb, services: &[Svc]) -> Self {
        Self::launch(db, db.app.clone(), services, test_limits(), true).await
    }

    /// As [`TestServer::start`], with what `setup` changes: e.g. the tokens
    /// of two issuers with key sets of their own instead of the
    /// development tokens, or browser origins allowed to call.
    pub async fn start_set_up(db: &TestDb, services: &[Svc], setup: Setup) -> Self {
        Self::launch_as(db, db.app.clone(), services, test_limits(), true, setup).await
    }

    /// As [`TestServer::start`], but with the background work (outbox
    /// delivery, reminders) off, so that every statement `db.app` runs
    /// while the test looks comes from the call it made: for tests that
    /// count statements with [`Database::statements`], whose log belongs
    /// to the pool (shared by its clones, so the server's included).
    pub async fn start_quiet(db: &TestDb, services: &[Svc]) -> Self {
        Self::launch(db, db.app.clone(), services, test_limits(), false).await
    }

    /// Starts the given services with `limits`, over a pool of their own
    /// opened as the service role with `limits.db_pool` (e.g. two
    /// connections, to show that pooled connections keep no tenant state).
    pub async fn start_with(db: &TestDb, services: &[Svc], limits: Limits) -> Self {
        let pool = Database::connect_with(&db.app_url, &limits.db_pool)
            .await
            .expect("open the server's own pool");
        Self::launch(db, pool, services, limits, true).await
    }

    async fn launch(
        db: &TestDb,
        pool: Database,
        services: &[Svc],
        limits: Limits,
        background: bool,
    ) -> Self {
        Self::launch_as(db, pool, services, limits, background, Setup::default()).await
    }

    async fn launch_as(
        db: &TestDb,
        pool: Database,
        services: &[Svc],
        limits: Limits,
        background: bool,
        setup: Setup,
    ) -> Self {
        prepare(db).await;
        let listener = bind().await;
        let directory = Arc::new(samverkan_roles::LocalDirectory::new(pool.clone()));
        let auth = setup.auth.unwrap_or_else(dev_auth_config);
        let mut cfg = ServeConfig::new(pool, services.to_vec(), verifier(auth).await, directory)
            .with_limits(limits)
            .with_cors(setup.cors);
        let mut admin = None;
        if setup.admin {
            let l = bind().await;
            admin = Some(l.local_addr().expect("admin addr"));
            cfg = cfg.with_admin(l);
        }
        if !background {
            cfg = cfg.with_background_interval(None);
        }
        let mut server = Self::spawn(listener, cfg);
        server.admin = admin;
        server
    }

    fn spawn(listener: tokio::net::TcpListener, cfg: ServeConfig) -> Self {
        let addr = listener.local_addr().expect("addr");
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(samverkan_server::serve(listener, cfg, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            admin: None,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A channel to the server.
    pub async fn channel(&self) -> Channel {
        connect(self.addr).await
    }

    /// A development token for a demo person (by e-mail).
    pub fn token(email: &str) -> String {
        let person = samverkan_roles::demo::person(email)
            .unwrap_or_else(|| panic!("{email} is not a demo person"));
        Self::token_for(email, person.municipality)
    }

    /// A development token for any subject and municipality claim.
    pub fn token_for(subject: &str, municipality: &str) -> String {
        samverkan_auth::mint_dev_token(
            DEV_SECRET,
            DEV_ISSUER,
            DEV_AUDIENCE,
            subject,
            municipality,
            Duration::from_secs(600),
        )
        .expect("mint token")
    }

    /// Wraps `msg` in a request carrying `token` as bearer.
    pub fn request<T>(token: &str, msg: T) -> tonic::Request<T> {
        let mut req = tonic::Request::new(msg);
        req.metadata_mut().insert(
            "authorization",
            format!("Bearer {token}").parse().expect("ascii token"),
        );
        req
    }

    /// Wraps `msg` in a request as the demo person `email`.
    pub fn as_person<T>(email: &str, msg: T) -> tonic::Request<T> {
        Self::request(&Self::token(email), msg)
    }

    /// Stops the server gracefully and waits for it.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
    }
}

async fn connect(addr: SocketAddr) -> Channel {
    Endpoint::from_shared(format!("http://{addr}"))
        .expect("endpoint")
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect to test server")
}

/// The services as a test deploys them: all in one server, or each in a
/// server of its own on its own port, calling the others over gRPC
/// (docs/architecture.md) — five processes' worth of servers in this one, sharing
/// the test database as a deployment shares its PostgreSQL.
///
/// Each server is configured as `samverkan serve` configures a process,
/// but for its background timer, which is off: the test runs each server's
/// background round itself ([`TestDeployment::background_round`]), so that
/// it can look at the state in between.
pub struct TestDeployment {
    db: Database,
    servers: Vec<(Vec<Svc>, TestServer)>,
}

impl TestDeployment {
    /// Every service in one server.
    pub async fn single(db: &TestDb) -> Self {
        prepare(db).await;
        let cfg = Self::process(db, Svc::ALL, &Remotes::default()).await;
        Self {
            db: db.app.clone(),
            servers: vec![(Svc::ALL.to_vec(), TestServer::spawn(bind().await, cfg))],
        }
    }

    async fn process(db: &TestDb, services: &[Svc], remotes: &Remotes) -> ServeConfig {
        ServeConfig::deployed(
            db.app.clone(),
            services.to_vec(),
            verifier(dev_auth_config()).await,
            remotes,
        )
        .expect("a process of the deployment")
        .with_limits(test_limits())
        .with_background_interval(None)
    }

    /// Each service in its own server, configured as `samverkan serve
    /// --services <svc> --roles-url … --forums-url …` would be: a service
    /// it does not serve is called at its address, and requests' scopes
    /// come from the roles server.
    pub async fn split(db: &TestDb) -> Self {
        prepare(db).await;
        let mut listeners = Vec::new();
        for svc in Svc::ALL {
            listeners.push((*svc, bind().await));
        }
        let url = |svc: Svc| {
            listeners
                .iter()
                .find(|(s, _)| *s == svc)
                .map(|(_, l)| format!("http://{}", l.local_addr().expect("addr")))
        };
        let remotes = Remotes {
            roles: url(Svc::Roles),
            forums: url(Svc::Forums),
            decisions: url(Svc::Decisions),
            costmodel: url(Svc::CostModel),
        };
        let mut servers = Vec::new();
        for (svc, listener) in listeners {
            let cfg = Self::process(db, &[svc], &remotes).await;
            servers.push((vec![svc], TestServer::spawn(listener, cfg)));
        }
        Self {
            db: db.app.clone(),
            servers,
        }
    }

    /// Whether each service has a server of its own.
    pub fn is_split(&self) -> bool {
        self.servers.len() > 1
    }

    /// The server that serves `svc`.
    pub fn server(&self, svc: Svc) -> &TestServer {
        self.servers
            .iter()
            .find(|(services, _)| services.contains(&svc))
            .map(|(_, s)| s)
            .unwrap_or_else(|| panic!("{} is not deployed", svc.name()))
    }

    /// The address of the server that serves `svc`.
    pub fn addr(&self, svc: Svc) -> SocketAddr {
        self.server(svc).addr
    }

    /// A channel to the server that serves `svc`.
    pub async fn channel(&self, svc: Svc) -> Channel {
        connect(self.addr(svc)).await
    }

    /// One round of every server's background work, each as its process
    /// does it (the work of the services it serves, outbox delivery to its
    /// consumers only), without waiting for their timers. Returns how many
    /// messages were acknowledged.
    pub async fn background_round(&self, today: chrono::NaiveDate) -> usize {
        let mut delivered = 0;
        for (services, _) in &self.servers {
            delivered += samverkan_server::background::run_once_for(&self.db, services, today)
                .await
                .unwrap_or_else(|e| panic!("background round of {services:?}: {e}"));
        }
        delivered
    }

    /// One round of the background work of the server that serves `svc`
    /// only (in one server: of that server, so of every service).
    pub async fn background_round_of(&self, svc: Svc, today: chrono::NaiveDate) -> usize {
        let (services, _) = self
            .servers
            .iter()
            .find(|(services, _)| services.contains(&svc))
            .unwrap_or_else(|| panic!("{} is not deployed", svc.name()));
        samverkan_server::background::run_once_for(&self.db, services, today)
            .await
            .unwrap_or_else(|e| panic!("background round of {services:?}: {e}"))
    }

    /// Stops every server gracefully.
    pub async fn stop(self) {
        for (_, server) in self.servers {
            server.stop().await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
