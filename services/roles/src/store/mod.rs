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
