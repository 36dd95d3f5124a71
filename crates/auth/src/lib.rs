//! Authentication: verifies the caller's JWT and puts a [`RequestContext`]
//! (principal, tenant scope, the request's date, the RPC) in the request
//! extensions of every gRPC call (docs/permissions.md).
//!
//! - [`AuthConfig`] says which tokens are accepted: the trusted issuers
//!   ([`IssuerConfig`]: audience, claim names, where the verification keys
//!   come from ([`KeySource`]), and the municipalities each may vouch for).
//! - [`Verifier`] checks a token and returns its [`Principal`].
//! - [`AuthLayer`] is the tower layer for `tonic::transport::Server`.
//! - [`mint_dev_token`] issues HS256 development tokens.
//!
//! What a principal may *do* is not decided here: that comes from role
//! assignments in the roles service.
//!
//! [`RequestContext`]: samverkan_core::RequestContext
//! [`Principal`]: samverkan_core::Principal

mod config;
mod dev;
mod error;
mod jwks;
mod layer;
mod verifier;

pub use config::{ANY_MUNICIPALITY, AuthConfig, IssuerConfig, KeySource};
pub use dev::{MintError, mint_dev_token};
pub use error::{AuthError, SetupError};
pub use layer::{AuthLayer, AuthService, OPEN_WITHOUT_ASSIGNMENT};
pub use verifier::{TokenHints, Verifier};
