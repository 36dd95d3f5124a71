//! `samverkan.agreements.v1.AgreementsService`: the collaboration's yearly
//! rhythm. Agreement documents have versions of numbered sections; each
//! year a revision collects every member's change proposals (private until
//! submitted), consolidates the accepted ones into a draft with a readable
//! diff, goes to IT-styrgruppen for decision, and takes effect on its date
//! only when every member municipality on that date has recorded its
//! executive board's approval.

pub mod api;
pub mod domain;
pub mod jobs;
pub mod migration;
pub mod store;

/// The service name used for audit chains and transactions.
pub const SERVICE: &str = "agreements";

pub use api::AgreementsApi;
