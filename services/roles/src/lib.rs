//! `samverkan.roles.v1.RolesService`: the organisation of the
//! collaboration — municipalities, collaborations and their dated
//! membership, people — and the directory every request's tenant scope is
//! resolved from.

pub mod api;
pub mod authz;
pub mod bootstrap;
pub mod client;
pub mod demo;
pub mod directory;
pub mod domain;
pub mod migration;
pub mod store;

/// The service name used for audit chains and transactions.
pub const SERVICE: &str = "roles";

pub use api::RolesApi;
pub use client::{Load, RolesClient};
pub use directory::{LocalDirectory, RemoteDirectory};
