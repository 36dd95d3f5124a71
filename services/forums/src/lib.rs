//! `samverkan.forums.v1.ForumsService`: where the collaboration's work
//! happens. Municipalities raise matters (private drafts until submitted),
//! forums meet on published agendas built from their backlog, each
//! municipality prepares privately, and the minutes — numbered § by §,
//! adjusted by two adjusters, then locked — become the record.

pub mod api;
pub mod client;
pub mod domain;
pub mod events;
pub mod inbox;
pub mod migration;
pub mod store;

/// The service name used for audit chains and transactions.
pub const SERVICE: &str = "forums";

pub use api::ForumsApi;
pub use client::ForumsClient;
