//! Measures of what a generator learned.

pub mod mode_coverage;
