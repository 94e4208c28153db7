//! ganbook: a notebook-style experiment runner for generative adversarial networks.
//!
//! The core (`tensor`, `nn`, `data`, `metrics`, `viz`, ...) is the crate `ganbook-core`, which
//! cannot see Rhai; it is re-exported here under the same names. This crate holds what sits on
//! it: `script` binds the core to the scripting language, and `run`, `notebook` (run --watch),
//! `repl` and `bench` are the front ends (ARCHITECTURE.md has the picture).

pub use ganbook_core::{
    bail, checkpoint, data, device, err, error, files, heap, interop, map_rank, memory_limit,
    metrics, nn, rng, sandbox, tensor, tfevents, threads, viz, with_rank,
};

pub mod bench;
pub mod crash_guard;
pub mod kernel;
pub mod live;
pub mod notebook;
pub mod repl;
pub mod run;
pub mod script;
pub mod session;
pub mod state;
pub mod sweep;
