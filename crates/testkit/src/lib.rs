//! Test support: a fresh database on SQLite or PostgreSQL, and the whole
//! server started in-process on an ephemeral port.
//!
//! PostgreSQL tests read the owner URL from `SAMVERKAN_TEST_DATABASE_URL`
//! (e.g. `postgres://postgres@127.0.0.1:5432/test`). Each test gets its own
//! database, migrated as that owner; the server connects as the non-owner
//! service role (`samverkan_app`, created if missing), so row-level
//! security is in force exactly as in production. Without the variable the
//! PostgreSQL half prints that it skipped — unless `CI=true`, where a
//! missing database fails the test.

pub mod bad_input;
mod db;
pub mod process;
mod server;
pub mod story;

pub use db::{APP_ROLE, TestDb};
pub use server::{DEV_AUDIENCE, DEV_ISSUER, DEV_SECRET, Setup, TestDeployment, TestServer};

/// Reports a figure a test measured (cases tried, calls made): printed, and
/// appended to the file named by `SAMVERKAN_FIGURES` when set, so that
/// `.ci/run` can show the figures of passing tests, whose output cargo
/// captures.
pub fn figure(line: &str) {
    println!("{line}");
    if let Ok(path) = std::env::var("SAMVERKAN_FIGURES") {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = writeln!(f, "{line}");
        }
    }
}

/// Generates one test per backend from an `async fn(TestDb)`.
///
/// ```ignore
/// async fn audit_chain_verifies(db: TestDb) { … }
/// samverkan_testkit::backend_test!(audit_chain_verifies);
/// ```
#[macro_export]
macro_rules! backend_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::sqlite().await;
                super::$name(db.clone()).await;
                db.cleanup().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::postgres().await {
                    super::$name(db.clone()).await;
                    db.cleanup().await;
                }
            }
        }
    };
}

/// `GET path` over plain HTTP/1.1 (the admin port): the status code and the
/// body.
pub async fn http_get(addr: std::net::SocketAddr, path: &str) -> (u16, String) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the admin port");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP status in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}
