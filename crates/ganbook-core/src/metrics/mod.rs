//! Measures of what a generator learned.
//!
//! Feature-based measures (Fréchet distance, KID, precision/recall) take [`Features`]: `n`
//! vectors of dimension `d`, computed on in float64 whatever the input precision.

pub mod compare;
pub mod features;
pub mod frechet;
pub mod inception;
pub mod inception_score;
pub mod kid;
pub mod mode_coverage;
pub mod precision_recall;
pub mod probe;

pub use features::Features;
