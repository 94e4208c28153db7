//! ganbook: a notebook-style experiment runner for generative adversarial networks.
//!
//! The core (`tensor`, `nn`, `data`, `metrics`) knows nothing of Rhai; `script` binds it to
//! the scripting language, and `run` / `repl` / `bench` are the command-line front ends.

pub mod bench;
pub mod checkpoint;
pub mod crash_guard;
pub mod data;
pub mod device;
pub mod error;
pub mod heap;
pub mod interop;
pub mod logbook;
pub mod memory_limit;
pub mod metrics;
pub mod nn;
pub mod notebook;
pub mod repl;
pub mod resume;
pub mod rng;
pub mod run;
pub mod run_folder;
pub mod run_record;
pub mod sandbox;
pub mod script;
pub mod set_check;
pub mod tensor;
pub mod threads;
pub mod viz;
