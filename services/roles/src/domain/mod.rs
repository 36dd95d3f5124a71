//! Pure rules of the organisation, free of storage and transport.

pub mod catalogue;
pub mod composition;
pub mod membership;
pub mod permissions;
pub mod rules;
