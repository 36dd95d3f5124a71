use samverkan_core::{ApiError, RequestContext, TenantScope};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

use crate::connect::{Backend, Database};
use crate::db_err;

/// Whether a transaction will write. On SQLite a writing transaction takes
/// the write lock at BEGIN (`BEGIN IMMEDIATE`), so two writers queue instead
/// of failing when the first upgrades its read lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
}

/// A transaction scoped to one principal's tenant. The only way a handler
/// reaches the database. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    txn: DatabaseTransaction,
    ctx: RequestContext,
    service: &'static str,
    backend: Backend,
    /// Change versions advanced at commit (see [`crate::versions`]).
    pub(crate) advances: Vec<&'static str>,
    /// The pool's kept caches ([`Tx::kept`]).
    pub(crate) kept: crate::versions::Shelf,
}

impl Database {
    /// Begins a transaction for the request `ctx` on behalf of `service`.
    /// On PostgreSQL the tenant, its collaborations and its peers are set as
    /// transaction-local settings (`set_config(…, true)`; the session form
    /// would leak to the next user of a pooled connection).
    pub async fn begin(
        &self,
        ctx: &RequestContext,
        service: &'static str,
        access: Access,
    ) -> Result<Tx, ApiError> {
        let opts = TransactionOptions {
            sqlite_transaction_mode: (self.backend() == Backend::Sqlite && access == Access::Write)
                .then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = self
            .conn
            .begin_with_options(opts)
            .await
            .map_err(|e| match crate::cause(&e) {
                crate::Cause::Bug => unavailable(e),
                _ => db_err(e),
            })?;
        if self.backend() == Backend::Postgres {
            let (tenant, collabs, peers, former) = settings(&ctx.scope);
            txn.query_one_raw(Statement::from_sql_and_values(
                sea_orm::DbBackend::Postgres,
                "select set_config('samverkan.tenant', $1, true), \
                        set_config('samverkan.collaborations', $2, true), \
                        set_config('samverkan.peers', $3, true), \
                        set_config('samverkan.former', $4, true)",
                [tenant.into(), collabs.into(), peers.into(), former.into()],
            ))
            .await
            .map_err(db_err)?;
        }
        Ok(Tx {
            txn,
            ctx: ctx.clone(),
            service,
            backend: self.backend(),
            advances: Vec::new(),
            kept: self.kept.clone(),
        })
    }
}

/// The four settings as PostgreSQL reads them: comma-separated lists, a
/// former collaboration as `uuid@instant` (see [`crate::rls::FORMER`]).
fn settings(scope: &TenantScope) -> (String, String, String, String) {
    let join = |it: &mut dyn Iterator<Item = String>| it.collect::<Vec<_>>().join(",");
    (
        scope.tenant.to_string(),
        join(&mut scope.collaborations.iter().map(ToString::to_string)),
        join(&mut scope.peers.iter().map(ToString::to_string)),
        join(
            &mut scope
                .former
                .iter()
                .map(|f| format!("{}@{}", f.collaboration, f.until.to_rfc3339())),
        ),
    )
}

/// A pool that cannot hand out a connection is a server condition the
/// caller can retry, not an internal fault.
pub(crate) fn unavailable(e: sea_orm::DbErr) -> ApiError {
    tracing::warn!(error = %e, "cannot reach the database");
    ApiError::Unavailable("the database is not available; try again shortly".into())
}

impl Tx {
    /// The connection to run sea-orm queries on.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn ctx(&self) -> &RequestContext {
        &self.ctx
    }

    pub fn scope(&self) -> &TenantScope {
        &self.ctx.scope
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Commits the transaction, advancing the change versions it was asked
    /// to first.
    pub async fn commit(self) -> Result<(), ApiError> {
        self.advance_versions().await?;
        self.txn.commit().await.map_err(db_err)
    }
}
