//! `samverkan.decisions.v1.DecisionsService`: what the forums decided, who
//! carries it out, how it is followed up (in the minutes, or visibly not),
//! action plans for decided goals, what is due, and the trail from a
//! municipality's need to its outcome.

pub mod api;
pub mod client;
pub mod domain;
pub mod jobs;
pub mod migration;
pub mod store;

/// The service name used for audit chains and transactions.
pub const SERVICE: &str = "decisions";

pub use api::DecisionsApi;
pub use client::DecisionsClient;
