//! sea-orm entities and queries of the roles service. Every query runs in a
//! tenant-scoped [`Tx`](samverkan_db::Tx) and adds the tenancy condition of
//! its table; on PostgreSQL row-level security enforces the same rule.

pub mod assignment;
pub mod collaboration;
pub mod forum;
pub mod forum_role_seat;
pub mod mandate;
pub mod membership;
pub mod municipality;
mod organisation;
pub mod person;
pub mod role;
pub mod seat;

mod queries;

pub use organisation::*;
pub use queries::*;

use samverkan_core::{ApiError, RequestContext};
use samverkan_db::{Access, Database, Tx};

/// The change version every process's cache of callers is checked
/// against (see [`crate::directory`]).
pub const DIRECTORY_VERSION: &str = "directory";

/// A transaction that may change the registry: municipalities,
/// memberships, people, roles, assignments and seats. It advances
/// [`DIRECTORY_VERSION`] when it commits, so no process honours a caller
/// resolved before the change. The only way the roles service writes
/// (`tests/layers.rs` checks).
pub async fn begin_write(db: &Database, ctx: &RequestContext) -> Result<Tx, ApiError> {
    let mut tx = db.begin(ctx, crate::SERVICE, Access::Write).await?;
    tx.advance_on_commit(DIRECTORY_VERSION);
    Ok(tx)
}
