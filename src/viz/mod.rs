//! Pictures of tensors: sample grids (more to come: plots, GIFs).

pub mod grid;
