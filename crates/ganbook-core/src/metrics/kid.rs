//! Kernel Inception Distance (Bińkowski et al. 2018): the unbiased estimate of the squared
//! MMD with the cubic polynomial kernel `k(x, y) = (x.y / d + 1)^3`, averaged over random
//! subsets as torch-fidelity and clean-fid do.

use super::features::{Features, check_pair};
use crate::bail;
use crate::error::Result;
use faer::{Mat, MatRef};
use rand::SeedableRng;
use rand::seq::index::sample;
use rand_chacha::ChaCha8Rng;

/// KID over subsets: mean and standard deviation (population) of the per-subset values.
#[derive(Clone, Debug, PartialEq)]
pub struct Kid {
    pub mean: f64,
    pub std: f64,
    /// Subsets used and samples drawn from each side per subset.
    pub subsets: usize,
    pub subset_size: usize,
}

/// Sum of the kernel over all pairs (off-diagonal only when `same`).
fn kernel_sum(x: MatRef<'_, f64>, y: MatRef<'_, f64>, same: bool) -> f64 {
    let d = x.ncols() as f64;
    let g: Mat<f64> = x * y.transpose();
    let mut s = 0.0;
    for j in 0..g.ncols() {
        for i in 0..g.nrows() {
            if !(same && i == j) {
                s += (g[(i, j)] / d + 1.0).powi(3);
            }
        }
    }
    s
}

/// The unbiased MMD^2 between all rows of `x` and all rows of `y` (each at least 2).
pub fn mmd2_unbiased(x: MatRef<'_, f64>, y: MatRef<'_, f64>) -> f64 {
    let (m, n) = (x.nrows() as f64, y.nrows() as f64);
    kernel_sum(x, x, true) / (m * (m - 1.0)) + kernel_sum(y, y, true) / (n * (n - 1.0))
        - 2.0 * kernel_sum(x, y, false) / (m * n)
}

fn rows(f: &Features, idx: &[usize]) -> Mat<f64> {
    Mat::from_fn(idx.len(), f.dim(), |i, j| f.mat[(idx[i], j)])
}

/// KID with `subsets` subsets of `subset_size` samples from each side (without replacement
/// within a subset; capped at the smaller side). A subset size covering both sides whole
/// gives one exact value, with no randomness.
pub fn kid(
    a: &Features,
    b: &Features,
    subsets: usize,
    subset_size: usize,
    seed: u64,
) -> Result<Kid> {
    check_pair(a, b, 2, "kid")?;
    if subsets == 0 {
        bail!("kid: subsets must be at least 1");
    }
    if subset_size < 2 {
        bail!("kid: subset_size must be at least 2, got {subset_size}");
    }
    if subset_size >= a.n() && subset_size >= b.n() {
        let v = mmd2_unbiased(a.mat.as_ref(), b.mat.as_ref());
        return Ok(Kid {
            mean: v,
            std: 0.0,
            subsets: 1,
            subset_size: a.n().max(b.n()),
        });
    }
    let m = subset_size.min(a.n()).min(b.n());
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let values: Vec<f64> = (0..subsets)
        .map(|_| {
            let ia = sample(&mut rng, a.n(), m).into_vec();
            let ib = sample(&mut rng, b.n(), m).into_vec();
            mmd2_unbiased(rows(a, &ia).as_ref(), rows(b, &ib).as_ref())
        })
        .collect();
    let mean = values.iter().sum::<f64>() / subsets as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / subsets as f64;
    Ok(Kid {
        mean,
        std: var.sqrt(),
        subsets,
        subset_size: m,
    })
}
