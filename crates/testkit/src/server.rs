use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use samverkan_db::Database;
use samverkan_server::{Limits, RateLimit, ServeConfig, Svc};
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
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
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
        let limits = Limits {
            rate_limit: RateLimit::OFF,
            ..Limits::default()
        };
        Self::launch(db, db.app.clone(), services, limits).await
    }

    /// Starts the given services with `limits`, over a pool of their own
    /// opened as the service role with `limits.db_pool` (e.g. two
    /// connections, to show that pooled connections keep no tenant state).
    pub async fn start_with(db: &TestDb, services: &[Svc], limits: Limits) -> Self {
        let pool = Database::connect_with(&db.app_url, &limits.db_pool)
            .await
            .expect("open the server's own pool");
        Self::launch(db, pool, services, limits).await
    }

    async fn launch(db: &TestDb, pool: Database, services: &[Svc], limits: Limits) -> Self {
        // Server-side errors show in a failing test's output.
        samverkan_telemetry::init_for_tests();
        samverkan_roles::demo::load(&db.app)
            .await
            .expect("load demo data");
        samverkan_costmodel::demo::load(&db.app)
            .await
            .expect("load cost model demo data");
        let verifier = samverkan_auth::Verifier::new(dev_auth_config())
            .await
            .expect("verifier");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let directory = Arc::new(samverkan_roles::LocalDirectory::new(pool.clone()));
        let cfg =
            ServeConfig::new(pool, services.to_vec(), verifier, directory).with_limits(limits);
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(samverkan_server::serve(listener, cfg, async {
            let _ = stopped.await;
        }));
        Self {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// A channel to the server.
    pub async fn channel(&self) -> Channel {
        Endpoint::from_shared(format!("http://{}", self.addr))
            .expect("endpoint")
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("connect to test server")
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

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
