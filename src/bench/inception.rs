//! `inception`: pytorch-fid's FID Inception-v3 (random weights of the real shapes, so no
//! weights file is needed) on batches of 50 images 3x64x64 in [-1, 1], resized to 299x299:
//! images per second of pool3 features, and what that makes of the features of a 10,000
//! vs 10,000 FID (the Fréchet distance itself: `ganbook bench fid`).

use super::{Settings, report};
use crate::error::Result;
use crate::metrics::features::FeatureNet;
use crate::metrics::inception::Inception;
use crate::metrics::inception::random::{self, RandomSource};
use crate::tensor::DynTensor;
use std::time::Instant;

const BATCH: usize = 50;

pub fn run(settings: &Settings) -> Result<()> {
    let t = Instant::now();
    let net = Inception::build(&mut RandomSource::default(), "inception(random)")?;
    let build_ms = t.elapsed().as_secs_f64() * 1e3;
    let shape = [BATCH, 3, 64, 64];
    let images = DynTensor::from_vec(random::image("bench", &shape), &shape)?;
    let mut times = Vec::new();
    // A batch takes seconds on a CPU: at most 3 timed, 1 untimed.
    let warmup = settings.warmup.min(1);
    for step in 0..warmup + settings.steps.clamp(1, 3) {
        let t = Instant::now();
        let f = net.features(images.clone())?;
        std::hint::black_box(f.to_vec());
        if step >= warmup {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let med = report("inception_features_b50", &mut times, "");
    let per_s = BATCH as f64 / (med / 1e3);
    println!(
        "bench inception images_per_s={per_s:.2} fid_10k_vs_10k_features_min={:.1} random_build_ms={build_ms:.0} device={}",
        20_000.0 / per_s / 60.0,
        crate::device::current_name()
    );
    Ok(())
}
