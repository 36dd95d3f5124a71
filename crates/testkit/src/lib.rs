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
