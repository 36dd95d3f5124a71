//! Storage shared by every service: connecting to SQLite (the embedded
//! default) or PostgreSQL, tenant-scoped transactions, row-level-security
//! policy helpers for migrations, and the hash-chained audit trail.
//!
//! A handler reaches the database only through [`Database::begin`], which
//! takes the request's [`RequestContext`](samverkan_core::RequestContext):
//! every transaction carries the principal's tenant scope, on PostgreSQL as
//! transaction-local settings that the row-level-security policies read.

pub mod audit;
pub mod check;
mod connect;
mod errors;
pub mod idempotency;
pub mod migration;
pub mod observe;
pub mod outbox;
pub mod rls;
mod series;
mod tx;
mod unit;
pub mod versions;

pub use connect::{Backend, Database, PoolOptions, SqliteFile, redact};
pub use errors::{Cause, cause, db_err};
pub use observe::{Recorded, StatementLog};
pub use tx::{Access, Tx};
pub use unit::{ATTEMPTS, unit_of_work};

/// Now, at the microsecond precision both backends store, so what is
/// written reads back equal.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// A fresh opaque etag.
pub fn new_etag() -> String {
    samverkan_core::new_uuid().simple().to_string()
}

/// Inserts a row and appends the audit entry for its creation, in the
/// transaction `tx`: the row exists if and only if its audit entry does.
pub async fn insert_audited<A>(
    tx: &Tx,
    resource: String,
    row: A,
    change: serde_json::Value,
) -> Result<<A::Entity as sea_orm::EntityTrait>::Model, samverkan_core::ApiError>
where
    A: sea_orm::ActiveModelTrait + sea_orm::ActiveModelBehavior + Send,
    <A::Entity as sea_orm::EntityTrait>::Model: sea_orm::IntoActiveModel<A>,
{
    let m = row.insert(tx.conn()).await.map_err(db_err)?;
    tx.audit(resource, &change).await?;
    Ok(m)
}
