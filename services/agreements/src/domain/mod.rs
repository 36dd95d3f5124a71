//! Pure rules of the agreements service.

pub mod document;
pub mod revision;
pub mod rules;
pub mod text;
