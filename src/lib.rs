//! ganbook: a notebook-style experiment runner for generative adversarial networks.
//!
//! The core (`tensor`, `nn`, `data`, `metrics`) knows nothing of Rhai; `script` binds it to
//! the scripting language, and `run` / `repl` / `bench` are the command-line front ends.

pub mod bench;
pub mod checkpoint;
pub mod data;
pub mod device;
pub mod error;
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
pub mod sandbox;
pub mod script;
pub mod tensor;
pub mod viz;

/// mimalloc keeps freed pages for reuse. With glibc's allocator the heap shrank and grew again
/// in every training step (brk, page faults and zeroing, on the thread that the other threads
/// wait for); see README, "Speed".
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
