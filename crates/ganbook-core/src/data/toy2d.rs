//! 2-D mixtures of Gaussians: "ring8" (8 modes on a circle of radius 2, std 0.02) and
//! "grid25" (25 modes at {-4,-2,0,2,4}^2, std 0.05), as in VEEGAN and PacGAN.

use crate::bail;
use crate::error::Result;
use crate::rng;
use crate::tensor::DynTensor;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

/// A named mixture: its mode centres and the per-mode standard deviation.
pub struct Mixture {
    pub centers: Vec<[f64; 2]>,
    pub std: f64,
}

pub const NAMES: &[&str] = &["ring8", "grid25"];

pub fn mixture(name: &str) -> Result<Mixture> {
    Ok(match name {
        "ring8" => Mixture {
            centers: (0..8)
                .map(|k| {
                    let a = k as f64 * std::f64::consts::TAU / 8.0;
                    [2.0 * a.cos(), 2.0 * a.sin()]
                })
                .collect(),
            std: 0.02,
        },
        "grid25" => Mixture {
            centers: (0..25)
                .map(|k| [(k / 5) as f64 * 2.0 - 4.0, (k % 5) as f64 * 2.0 - 4.0])
                .collect(),
            std: 0.05,
        },
        other => bail!(
            "unknown toy distribution '{other}': choose one of {}",
            NAMES.join(", ")
        ),
    })
}

/// `n` samples, [n, 2], modes chosen uniformly.
pub fn sample(name: &str, n: usize) -> Result<DynTensor> {
    sample_mixture(&mixture(name)?, n)
}

/// `n` samples of mixture `m`, [n, 2], modes chosen uniformly (a hand-drawn set: one mode
/// per drawn point).
pub fn sample_mixture(m: &Mixture, n: usize) -> Result<DynTensor> {
    if m.centers.is_empty() {
        bail!("toy2d: a mixture needs at least one mode");
    }
    if n == 0 {
        bail!("toy2d: n must be at least 1");
    }
    crate::memory_limit::check(&[n, 2])?;
    let values = rng::with(|r| {
        let mut v = Vec::with_capacity(2 * n);
        for _ in 0..n {
            let c = m.centers[r.random_range(0..m.centers.len())];
            for center in c {
                let z: f64 = StandardNormal.sample(r);
                v.push((center + m.std * z) as f32);
            }
        }
        v
    });
    DynTensor::from_vec(values, &[n, 2])
}
