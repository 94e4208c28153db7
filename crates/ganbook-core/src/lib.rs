//! ganbook's core: tensors, layers (and the CPU kernels under them), datasets, metrics and
//! plots. It knows nothing of the scripting language: this crate does not depend on rhai, so
//! the compiler keeps that promise (ARCHITECTURE.md has the picture).
//!
//! Ground floor: `error`, `files`, `tfevents` (TensorBoard event files), `device`, `rng`,
//! `memory_limit`, `heap`, `threads`, `sandbox`. Above it: `tensor`, then `nn`, `data`, `checkpoint`, `interop`, `metrics`, `viz`.

pub mod checkpoint;
pub mod data;
pub mod device;
pub mod error;
pub mod files;
pub mod heap;
pub mod interop;
pub mod memory_limit;
pub mod metrics;
pub mod nn;
pub mod rng;
pub mod sandbox;
pub mod tensor;
pub mod tfevents;
pub mod threads;
pub mod viz;
