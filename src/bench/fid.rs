//! `fid`: the Fréchet distance of 10,000 vs 10,000 feature vectors of dimension 2048 (the
//! size of an Inception-v3 FID), from features to number: both means and covariances, the
//! factorizations and the singular values, in float64 on every core. The features are
//! drawn once (correlated Gaussians), outside the timing. Time it in a release build: faer's
//! generic kernels are compiled in ganbook's crate, so a dev build runs them unoptimized.

use super::{Settings, report};
use crate::error::Result;
use crate::metrics::{Features, frechet};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::time::Instant;

const N: usize = 10_000;
const DIM: usize = 2048;

/// Correlated, non-negative features (like Inception's pooled activations).
fn features(seed: u64, shift: f32) -> Result<Features> {
    let mut r = ChaCha8Rng::seed_from_u64(seed);
    let mut v = vec![0f32; N * DIM];
    for row in v.chunks_mut(DIM) {
        let common: f32 = r.random_range(0.0..1.0);
        for x in row.iter_mut() {
            *x = (r.random_range(0.0f32..1.0) + 0.5 * common + shift).max(0.0);
        }
    }
    Features::from_rows(&v, N, DIM)
}

pub fn run(settings: &Settings) -> Result<()> {
    let (a, b) = (features(1, 0.0)?, features(2, 0.05)?);
    let mut times = Vec::new();
    let mut value = f64::NAN;
    // Each repetition takes seconds: at most 3 timed, 1 untimed.
    for step in 0..settings.warmup.min(1) + settings.steps.clamp(1, 3) {
        let t = Instant::now();
        value = frechet::frechet_distance(&a, &b)?;
        if step >= settings.warmup.min(1) {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    report(
        "fid_10k_vs_10k_2048",
        &mut times,
        &format!(" fid={value:.6} threads={}", rayon_threads()),
    );
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}
