//! Pure rules of the decision register.

pub mod due;
pub mod progress;
pub mod status;
