//! Moving weights to and from other frameworks.

pub mod torch;
