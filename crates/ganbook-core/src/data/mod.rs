//! Data sources: 2-D toy distributions, procedural digits and faces, and loaders for the
//! user's own files, all behind the [`dataset::Dataset`] handle.

pub mod cache;
pub mod dataset;
pub mod digits;
pub mod faces;
pub mod idx;
pub mod image_folder;
pub mod memory;
pub mod npy;
pub mod raster;
pub mod source;
pub mod toy2d;
pub mod transforms;
