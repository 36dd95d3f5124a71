//! Change versions: a counter per kind of data that processes cache, so a
//! cache is never stale.
//!
//! A transaction that changes such data advances the counter when it
//! commits ([`Tx::advance_on_commit`]), in the same transaction: the change
//! and the new version become visible together, on every instance, or not
//! at all. A cache keeps, beside each answer, the version it read *before*
//! reading the data the answer came from, and trusts the answer only while
//! [`Database::version`] still returns that version. One indexed read of
//! one row per request replaces the queries the answer needs; a change
//! committed on any instance is seen by the next request on every other.

use samverkan_core::ApiError;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::{Backend, Database, Tx, db_err};

fn backend(b: Backend) -> DbBackend {
    match b {
        Backend::Postgres => DbBackend::Postgres,
        Backend::Sqlite => DbBackend::Sqlite,
    }
}

impl Database {
    /// The current version of `name`: 0 until a transaction advanced it.
    /// Read outside any transaction, so it is the latest committed one.
    pub async fn version(&self, name: &str) -> Result<i64, ApiError> {
        let sql = match self.backend() {
            Backend::Postgres => "SELECT version FROM change_versions WHERE name = $1",
            Backend::Sqlite => "SELECT version FROM change_versions WHERE name = ?",
        };
        let row = self
            .conn
            .query_one_raw(Statement::from_sql_and_values(
                backend(self.backend()),
                sql,
                [name.into()],
            ))
            .await
            .map_err(|e| match crate::cause(&e) {
                crate::Cause::Bug => {
                    tracing::warn!(error = %e, "cannot read a change version");
                    ApiError::Unavailable("the database is not available; try again shortly".into())
                }
                _ => db_err(e),
            })?;
        match row {
            Some(r) => r.try_get::<i64>("", "version").map_err(db_err),
            None => Ok(0),
        }
    }
}

impl Tx {
    /// Advances the version `name` when this transaction commits, just
    /// before COMMIT: on PostgreSQL the counter's row is locked only for
    /// that moment, and a transaction that rolls back leaves it alone.
    pub fn advance_on_commit(&mut self, name: &'static str) {
        if !self.advances.contains(&name) {
            self.advances.push(name);
        }
    }

    /// Runs the advances [`Tx::advance_on_commit`] asked for.
    pub(crate) async fn advance_versions(&self) -> Result<(), ApiError> {
        let sql = match self.backend() {
            Backend::Postgres => {
                "INSERT INTO change_versions (name, version) VALUES ($1, 1) \
                 ON CONFLICT (name) DO UPDATE SET version = change_versions.version + 1"
            }
            Backend::Sqlite => {
                "INSERT INTO change_versions (name, version) VALUES (?, 1) \
                 ON CONFLICT (name) DO UPDATE SET version = change_versions.version + 1"
            }
        };
        for name in &self.advances {
            self.conn()
                .execute_raw(Statement::from_sql_and_values(
                    backend(self.backend()),
                    sql,
                    [(*name).into()],
                ))
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }
}
