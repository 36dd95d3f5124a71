use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use sea_orm_migration::MigratorTrait;

/// Which database engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The default embedded database file, relative to the working directory.
pub struct SqliteFile;

impl SqliteFile {
    pub const DEFAULT_PATH: &'static str = "./data/samverkan.db";

    /// `sqlite://` URL for a file path, creating the parent directory.
    pub fn url(path: &Path) -> std::io::Result<String> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        Ok(format!("sqlite://{}?mode=rwc", path.display()))
    }

    /// The default URL (`./data/samverkan.db`).
    pub fn default_url() -> std::io::Result<String> {
        Self::url(&PathBuf::from(Self::DEFAULT_PATH))
    }
}

/// A connection pool with the knowledge of its backend. Cheap to clone.
#[derive(Clone)]
pub struct Database {
    pub(crate) conn: DatabaseConnection,
    backend: Backend,
    statements: crate::observe::StatementLog,
    /// The caches kept beside this pool, shared by its clones
    /// ([`Database::kept`]).
    pub(crate) kept: crate::versions::Shelf,
    /// Read by the metrics (`samverkan_db_connections`) while a clone lives.
    _pool: std::sync::Arc<Pool>,
}

/// The pool as the metrics see it.
struct Pool {
    conn: DatabaseConnection,
    backend: Backend,
}

impl samverkan_telemetry::PoolStats for Pool {
    fn connections(&self) -> (u32, u32) {
        let (size, idle) = match self.backend {
            Backend::Postgres => {
                let p = self.conn.get_postgres_connection_pool();
                (p.size(), p.num_idle())
            }
            Backend::Sqlite => {
                let p = self.conn.get_sqlite_connection_pool();
                (p.size(), p.num_idle())
            }
        };
        (size, u32::try_from(idle).unwrap_or(u32::MAX))
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// Options that matter for a connection pool.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for PoolOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(30),
        }
    }
}

impl Database {
    /// Connects to `url` (`sqlite://…` or `postgres://…`). SQLite files are
    /// created if missing and opened with WAL, foreign keys and
    /// `synchronous=FULL`: a committed decision must survive a power cut.
    pub async fn connect(url: &str) -> Result<Self, DbErr> {
        Self::connect_with(url, &PoolOptions::default()).await
    }

    pub async fn connect_with(url: &str, pool: &PoolOptions) -> Result<Self, DbErr> {
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(DbErr::Custom(format!(
                "unsupported database url {:?}: use sqlite://path or postgres://",
                redact(url)
            )));
        };
        let mut opts = ConnectOptions::new(url.to_owned());
        opts.max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            // Validate the URL here so the closure below cannot fail.
            SqliteConnectOptions::from_str(url)
                .map_err(|e| DbErr::Custom(format!("sqlite url: {e}")))?;
            // A connection whose transaction bookkeeping went astray goes,
            // never back to the pool. When SQLite fails a COMMIT or
            // ROLLBACK (a full disk), sqlx still counts the transaction as
            // open; the next request on that connection would begin a
            // SAVEPOINT inside it, whose RELEASE answers OK although
            // nothing is committed, while the stale transaction holds the
            // write lock ("database is locked" for everyone else). Closing
            // the connection rolls back whatever SQLite still has open.
            opts.map_sqlx_sqlite_pool_opts(|o| {
                o.after_release(|conn, _| {
                    Box::pin(async move {
                        use sea_orm::sqlx::Connection;
                        // Let the queued rollback of a dropped transaction run first.
                        conn.ping().await?;
                        let stuck = conn.is_in_transaction();
                        if stuck {
                            tracing::warn!(
                                "closing an SQLite connection left inside a transaction"
                            );
                        }
                        Ok(!stuck)
                    })
                })
            });
            opts.map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .foreign_keys(true)
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(30))
                    .create_if_missing(true)
            });
        }
        if backend == Backend::Postgres {
            // Plan every statement with its values. sqlx prepares statements
            // and PostgreSQL switches a prepared statement to a generic plan
            // after five runs; for tenant-scoped lists the generic plan
            // guesses one row per tenant and sorts a forum's whole history
            // (ListMatters at 100× data: 21.6 ms generic against 0.3 ms
            // planned with the values; docs/performance.md).
            opts.map_sqlx_postgres_opts(|o| o.options([("plan_cache_mode", "force_custom_plan")]));
        }
        let mut conn = sea_orm::Database::connect(opts).await?;
        let statements = crate::observe::StatementLog::default();
        let log = statements.clone();
        conn.set_metric_callback(move |info| log.record(info.statement, info.failed));
        let pool = std::sync::Arc::new(Pool {
            conn: conn.clone(),
            backend,
        });
        let watched: std::sync::Arc<dyn samverkan_telemetry::PoolStats> = pool.clone();
        samverkan_telemetry::metrics().watch_pool(std::sync::Arc::downgrade(&watched));
        Ok(Self {
            conn,
            backend,
            statements,
            kept: Default::default(),
            _pool: pool,
        })
    }

    /// The log of the statements this pool runs (off until started).
    pub fn statements(&self) -> &crate::observe::StatementLog {
        &self.statements
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL pool itself, for what sea-orm does not offer
    /// (`LISTEN`); `None` on SQLite.
    pub fn postgres_pool(&self) -> Option<&sea_orm::sqlx::PgPool> {
        (self.backend == Backend::Postgres).then(|| self.conn.get_postgres_connection_pool())
    }

    /// Applies the migrations of one migrator (each service has its own
    /// migration table). Run as the role that owns the tables.
    pub async fn migrate<M: MigratorTrait>(&self) -> Result<(), DbErr> {
        M::up(&self.conn, None).await
    }

    /// The migrations of one migrator not applied to this database yet, by
    /// name. Readable by the service role: a new version's instance asks
    /// before it reports ready.
    pub async fn pending<M: MigratorTrait>(&self) -> Result<Vec<String>, DbErr> {
        // Read, never created: the service role may not create tables (sea-
        // orm's own pending check would), and a missing table means
        // nothing of this migrator is applied.
        let table = M::migration_table_name().to_string();
        let applied: Vec<String> = match self
            .query_admin(&format!("SELECT version FROM {table}"))
            .await
        {
            Ok(rows) => rows
                .iter()
                .map(|r| r.try_get::<String>("", "version"))
                .collect::<Result<_, _>>()?,
            Err(_) if !self.has_table(&table).await? => Vec::new(),
            Err(e) => return Err(e),
        };
        Ok(M::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .filter(|name| !applied.contains(name))
            .collect())
    }

    /// Whether a table of this name exists (the migration tables are
    /// created by the first migration run).
    async fn has_table(&self, table: &str) -> Result<bool, DbErr> {
        let sql = match self.backend {
            Backend::Sqlite => "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
            Backend::Postgres => {
                "SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = $1"
            }
        };
        let stmt = Statement::from_sql_and_values(
            self.db_backend(),
            sql,
            [sea_orm::Value::from(table.to_owned())],
        );
        Ok(!self.conn.query_all_raw(stmt).await?.is_empty())
    }

    /// PostgreSQL: lets the non-owner service role use every table. The
    /// audit trail is append-only for it: no UPDATE or DELETE.
    pub async fn grant_service_role(&self, role: &str) -> Result<(), DbErr> {
        if self.backend != Backend::Postgres {
            return Ok(());
        }
        let ok = !role.is_empty()
            && role.len() <= 63
            && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && role
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !ok {
            return Err(DbErr::Custom(format!(
                "invalid role name {role:?}: use a-z, 0-9 and _"
            )));
        }
        // Identifiers cannot be bound as parameters; the name was validated above.
        for sql in [
            format!("GRANT USAGE ON SCHEMA public TO \"{role}\""),
            format!(
                "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \"{role}\""
            ),
            format!("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM \"{role}\""),
            format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO \"{role}\""),
        ] {
            self.conn.execute_unprepared(&sql).await?;
        }
        Ok(())
    }

    /// Runs a statement outside any tenant scope. Only for operational
    /// commands (migrate, checks), never reachable from a handler.
    pub async fn execute_admin(&self, sql: &str) -> Result<(), DbErr> {
        self.conn.execute_unprepared(sql).await.map(|_| ())
    }

    /// Reads rows outside any tenant scope; for operational commands and tests.
    pub async fn query_admin(&self, sql: &str) -> Result<Vec<sea_orm::QueryResult>, DbErr> {
        self.conn
            .query_all_raw(Statement::from_string(self.db_backend(), sql.to_owned()))
            .await
    }

    pub(crate) fn db_backend(&self) -> DbBackend {
        match self.backend {
            Backend::Sqlite => DbBackend::Sqlite,
            Backend::Postgres => DbBackend::Postgres,
        }
    }

    /// Writes a consistent copy of an SQLite database to `path` while the
    /// server keeps serving (`VACUUM INTO`: one read transaction's snapshot,
    /// compacted, WAL included). `path` must not exist. A PostgreSQL
    /// database is backed up by its cluster (base backups and WAL, or
    /// `pg_dump`), never through this.
    pub async fn backup_sqlite(&self, path: &Path) -> Result<(), DbErr> {
        if self.backend != Backend::Sqlite {
            return Err(DbErr::Custom(
                "backup copies SQLite databases; back PostgreSQL up with its cluster's backups or pg_dump"
                    .into(),
            ));
        }
        let target = path
            .to_str()
            .ok_or_else(|| DbErr::Custom(format!("{} is not UTF-8", path.display())))?;
        let stmt = Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "VACUUM INTO ?",
            [sea_orm::Value::from(target.to_owned())],
        );
        self.conn.execute_raw(stmt).await.map(|_| ())
    }

    /// Closes the pool.
    pub async fn close(self) -> Result<(), DbErr> {
        self.conn.close().await
    }
}

/// Hides a password in a URL for error messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://app:secret@db/x"),
            "postgres://app:***@db/x"
        );
        assert_eq!(redact("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }
}
