//! Pure rules of the decision register.

pub mod due;
pub mod follow_up;
pub mod progress;
pub mod rules;
pub mod status;
