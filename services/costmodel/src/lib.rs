//! `samverkan.costmodel.v1.CostModelService` (tjänstefiering): the service
//! catalogue, yearly price lists from draft to published, versioned
//! allocation keys and driver snapshots, volumes and direct charges, each
//! municipality's bill explained to the öre, year-end reconciliation and
//! what-if scenarios.
//!
//! The arithmetic is the pure `domain`; storage (`store`) and the gRPC
//! layer (`api`) are thin around it.

pub mod api;
pub mod client;
pub mod demo;
pub mod domain;
pub mod migration;
pub mod store;

/// The service name used for audit chains and transactions.
pub const SERVICE: &str = "costmodel";

pub use api::CostModelApi;
pub use client::CostModelClient;
