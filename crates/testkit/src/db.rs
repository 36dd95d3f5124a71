use samverkan_db::{Backend, Database};

/// The non-owner role the services connect as on PostgreSQL.
pub const APP_ROLE: &str = "samverkan_app";

/// A fresh, migrated database. `app` is what the services use; `owner` is
/// the migration owner (on SQLite the same pool), for test set-up and
/// tampering that the service role must not be able to do.
#[derive(Clone, Debug)]
pub struct TestDb {
    pub owner: Database,
    pub app: Database,
    pub backend: Backend,
    /// Database name on PostgreSQL; file path on SQLite.
    pub name: String,
    /// The URL the services connect with (the service role on PostgreSQL).
    pub app_url: String,
    admin_url: Option<String>,
}

/// Replaces the user and database of a `postgres://user[:pw]@host/db?…` URL.
fn with_user_and_db(url: &str, user: &str, password: Option<&str>, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let host_part = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let (host, query) = match host_part.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (host_part, None),
    };
    let host = host.split_once('/').map_or(host, |(h, _)| h);
    let creds = match password {
        Some(pw) => format!("{user}:{pw}"),
        None => user.to_owned(),
    };
    let mut out = format!("{scheme}://{creds}@{host}/{db}");
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

fn owner_user(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.rsplit_once('@') {
        Some((creds, _)) => creds.split(':').next().unwrap_or("postgres").to_owned(),
        None => "postgres".to_owned(),
    }
}

fn owner_password(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (creds, _) = rest.rsplit_once('@')?;
    creds.split_once(':').map(|(_, pw)| pw.to_owned())
}

/// PostgreSQL halves skipped in this test binary so far.
static SKIPPED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Says loudly that a PostgreSQL half did not run. Written to the process's
/// standard error directly, not through `eprintln!`, which the test harness
/// captures and hides for a test that passes.
fn skipped_postgres() {
    use std::io::Write;
    let n = SKIPPED.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED the PostgreSQL half of {test} ({n} skipped in this test binary): \
         set SAMVERKAN_TEST_DATABASE_URL to run it"
    );
}

impl TestDb {
    /// A fresh SQLite file under the system temp directory.
    pub async fn sqlite() -> Self {
        let dir = std::env::temp_dir().join("samverkan-tests");
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let path = dir.join(format!("{}.db", samverkan_core::new_uuid().simple()));
        let url = samverkan_db::SqliteFile::url(&path).expect("sqlite url");
        let db = Database::connect(&url).await.expect("open sqlite");
        samverkan_server::migrate_all(&db)
            .await
            .expect("migrate sqlite");
        Self {
            owner: db.clone(),
            app: db,
            backend: Backend::Sqlite,
            name: path.display().to_string(),
            app_url: url,
            admin_url: None,
        }
    }

    /// A fresh PostgreSQL database, or `None` (with a printed notice) when
    /// `SAMVERKAN_TEST_DATABASE_URL` is unset outside CI.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var("SAMVERKAN_TEST_DATABASE_URL") else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "CI=true but SAMVERKAN_TEST_DATABASE_URL is not set: the PostgreSQL half must run in CI"
                );
            }
            skipped_postgres();
            return None;
        };
        let admin = Database::connect(&admin_url)
            .await
            .expect("connect to SAMVERKAN_TEST_DATABASE_URL");
        let name = format!("sv_test_{}", samverkan_core::new_uuid().simple());
        admin
            .execute_admin(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        // Cluster-wide role; concurrent tests may race to create it.
        let create_role = format!(
            "DO $$ BEGIN CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
        );
        admin
            .execute_admin(&create_role)
            .await
            .expect("create service role");
        admin.close().await.ok();

        let owner_url = with_user_and_db(
            &admin_url,
            &owner_user(&admin_url),
            owner_password(&admin_url).as_deref(),
            &name,
        );
        let owner = Database::connect(&owner_url)
            .await
            .expect("connect as owner");
        samverkan_server::migrate_all(&owner)
            .await
            .expect("migrate postgres");
        owner
            .grant_service_role(APP_ROLE)
            .await
            .expect("grant service role");
        let app_password = std::env::var("SAMVERKAN_TEST_APP_PASSWORD").ok();
        let app_url = with_user_and_db(&admin_url, APP_ROLE, app_password.as_deref(), &name);
        let app = Database::connect(&app_url)
            .await
            .expect("connect as service role");
        Some(Self {
            owner,
            app,
            backend: Backend::Postgres,
            name,
            app_url,
            admin_url: Some(admin_url),
        })
    }

    /// Removes the database. Called by [`backend_test!`](crate::backend_test)
    /// after a test passes; a failed test leaves it for inspection.
    pub async fn cleanup(self) {
        match (&self.backend, &self.admin_url) {
            (Backend::Postgres, Some(admin_url)) => {
                self.app.close().await.ok();
                self.owner.close().await.ok();
                if let Ok(admin) = Database::connect(admin_url).await {
                    admin
                        .execute_admin(&format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            self.name
                        ))
                        .await
                        .ok();
                    admin.close().await.ok();
                }
            }
            _ => {
                self.app.close().await.ok();
                for suffix in ["", "-wal", "-shm"] {
                    std::fs::remove_file(format!("{}{suffix}", self.name)).ok();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_rewritten() {
        assert_eq!(
            with_user_and_db(
                "postgres://postgres@127.0.0.1:5432/test",
                "samverkan_app",
                None,
                "x"
            ),
            "postgres://samverkan_app@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_user_and_db(
                "postgresql://o:pw@db/test?sslmode=disable",
                "o",
                Some("pw"),
                "y"
            ),
            "postgresql://o:pw@db/y?sslmode=disable"
        );
        assert_eq!(owner_user("postgres://o:pw@db/test"), "o");
        assert_eq!(
            owner_password("postgres://o:pw@db/test").as_deref(),
            Some("pw")
        );
        assert_eq!(owner_user("postgres://db/test"), "postgres");
    }
}
