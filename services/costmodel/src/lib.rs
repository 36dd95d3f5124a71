//! `samverkan.costmodel.v1.CostModelService` (tjänstefiering).
//!
//! For now only the pure domain: allocation arithmetic, bills, explanations
//! of a change, year-end reconciliation and CSV export. Storage and the gRPC
//! layer are thin wrappers to come around these functions.

pub mod domain;

/// The service name used for audit chains and transactions.
pub const SERVICE: &str = "costmodel";
