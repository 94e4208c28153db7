//! `ganbook bench [NAME...]`: benchmarks, each printing lines of the form
//! `bench NAME median_ms=... min_ms=... max_ms=... steps=...` and, where two variants run in
//! the same process, their ratio. Timings are wall-clock on a shared machine: compare ratios
//! measured in one run, not absolute figures across runs.

pub mod data;
pub mod dcgan32;
pub mod fid;
pub mod inception;
pub mod kernel;
pub mod live;
pub mod notebook;
pub mod probe;
pub mod script_step;
pub mod soak;
pub mod spectral_norm;
pub mod steps;
pub mod tfevents;

use crate::bail;
use crate::error::Result;

/// What every benchmark takes from the command line.
pub struct Settings {
    /// Timed repetitions.
    pub steps: usize,
    /// Untimed repetitions first.
    pub warmup: usize,
    /// A Python with torch, to time the same work in PyTorch alongside (`--torch PYTHON`).
    pub torch: Option<String>,
    /// Which networks the `steps` bench times (`--only`; empty: all).
    pub only: Vec<String>,
    /// The `steps` bench's batch size for every network (`--batch`; None: each its own).
    pub batch: Option<usize>,
    /// PyTorch's device for `--torch` (`--torch-device`: cpu or cuda).
    pub torch_device: String,
    /// Wrap PyTorch's networks in `torch.compile` (`--torch-compile`).
    pub torch_compile: bool,
}

type BenchFn = fn(&Settings) -> Result<()>;

/// Every benchmark, by name, with what it measures.
pub const BENCHES: &[(&str, &str, BenchFn)] = &[
    (
        "dcgan32",
        "DCGAN 32x32 batch 64 training step: script vs the same step in Rust",
        dcgan32::run,
    ),
    (
        "steps",
        "GAN training steps (DCGAN 32 and 64, seed 002's 128x128, 2-D MLP) with peak memory; vs PyTorch with --torch",
        steps::run,
    ),
    (
        "faces32",
        "procedural faces at 32x32: images per second on one thread, per style",
        data::faces32,
    ),
    (
        "image_folder",
        "10,000 64x64 PNGs: first load (decode) vs second (disk cache)",
        data::image_folder,
    ),
    (
        "kernel",
        "Jupyter kernel: start to kernel_info, a 1+1 cell, a DCGAN-32 step per cell vs in process",
        kernel::run,
    ),
    (
        "live",
        "run --live: training time of gan_ring8 and DCGAN 32 with no page, one and 50 pages watching, vs run --watch",
        live::run,
    ),
    (
        "notebook",
        "run --watch: from saving the last cell of a three-cell script (20 s before it) to its start",
        notebook::run,
    ),
    (
        "spectral_norm",
        "DCGAN 32x32 batch 64 training step with D's convolutions plain and under spectral_norm",
        spectral_norm::run,
    ),
    (
        "fid",
        "Fréchet distance of 10,000 vs 10,000 features of dimension 2048, float64",
        fid::run,
    ),
    (
        "soak_gan",
        "memory over a 20,000-step 2-D GAN run (log, checkpoints): RSS growth from after 2,000 steps to the end",
        soak::run_gan,
    ),
    (
        "soak_dcgan32",
        "memory over 1,000 DCGAN 32x32 steps (batch 64): RSS growth from after 100 to the end",
        soak::run_dcgan32,
    ),
    (
        "soak_repl",
        "memory over a REPL session of 1,000 inputs: RSS growth from after 100 to the end",
        soak::run_repl,
    ),
    (
        "probe",
        "training the built-in digits and faces probes from scratch, with held-out accuracy",
        probe::run,
    ),
    (
        "tfevents",
        "TensorBoard events file: per log call of 8 scalars (writer alone; a run's log with and without it) and per sample-grid image (vs its PNG encoding)",
        tfevents::run,
    ),
    (
        "inception",
        "pytorch-fid's Inception-v3 (random weights): images/s of FID features at batch 50",
        inception::run,
    ),
];

/// Runs the named benchmarks (all when `names` is empty).
pub fn run(names: &[String], settings: &Settings) -> Result<()> {
    for name in names {
        if !BENCHES.iter().any(|(n, _, _)| n == name) {
            let known: Vec<_> = BENCHES
                .iter()
                .map(|(n, d, _)| format!("{n} ({d})"))
                .collect();
            bail!(
                "unknown benchmark '{name}'; there are: {}",
                known.join(", ")
            );
        }
    }
    for (name, _, f) in BENCHES {
        if names.is_empty() || names.iter().any(|n| n == name) {
            f(settings)?;
        }
    }
    Ok(())
}

/// The median of timings sorted in place (NaN for none).
pub fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => v[n / 2],
        _ => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Prints one `bench` line for the timings `v` (milliseconds), with `extra` fields at its
/// end, and returns their median.
pub fn report(name: &str, v: &mut [f64], extra: &str) -> f64 {
    let med = median(v);
    let n = v.len();
    if n == 0 {
        println!("bench {name} steps=0");
        return f64::NAN;
    }
    println!(
        "bench {name} median_ms={med:.1} min_ms={:.1} max_ms={:.1} steps={n}{extra}",
        v[0],
        v[n - 1]
    );
    med
}
