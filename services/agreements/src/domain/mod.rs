//! Pure rules of the agreements service.

pub mod revision;
pub mod text;
