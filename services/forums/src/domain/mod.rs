//! Pure rules of the forums' work, free of storage and transport.

pub mod export;
pub mod matter;
pub mod meeting;
pub mod rules;
