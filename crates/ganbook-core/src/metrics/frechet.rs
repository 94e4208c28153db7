//! The Fréchet distance between two Gaussians fitted to feature sets (FID's formula):
//! `|mu_a - mu_b|^2 + tr(S_a) + tr(S_b) - 2 tr sqrt(S_a S_b)`, in float64.
//!
//! pytorch-fid takes `tr sqrtm(S_a S_b)` from scipy's Schur-based `sqrtm`, which loses
//! accuracy (and may need a diagonal offset) when the product is nearly singular. Here the
//! trace comes from factors `S = L L^T` instead: `S_a S_b` is similar to
//! `(L_a^T L_b)(L_a^T L_b)^T`, so `tr sqrt(S_a S_b)` is the sum of the singular values of
//! `L_a^T L_b`, a backward-stable computation that stays finite for rank-deficient
//! covariances (fewer samples than dimensions). `L` is the Cholesky factor, or, when the
//! covariance is (numerically) singular, `U diag(sqrt(lambda))` from its eigendecomposition, with
//! eigenvalues within rounding error of zero set to zero.

use super::features::{Features, check_pair};
use crate::err;
use crate::error::Result;
use faer::{Col, Mat, Side};

/// The mean and (unbiased, `n - 1`) covariance of a feature set, as `np.cov` gives it.
#[derive(Clone, Debug)]
pub struct Gaussian {
    pub mean: Col<f64>,
    pub cov: Mat<f64>,
}

impl Gaussian {
    /// Fits the feature set; needs at least 2 samples.
    pub fn fit(f: &Features) -> Result<Gaussian> {
        let (n, d) = (f.n(), f.dim());
        if n < 2 {
            return Err(err!("a covariance needs at least 2 samples, got {n}"));
        }
        let mean = Col::from_fn(d, |j| f.mat.col(j).iter().sum::<f64>() / n as f64);
        let centered = Mat::from_fn(n, d, |i, j| f.mat[(i, j)] - mean[j]);
        let mut cov = centered.transpose() * &centered;
        let scale = 1.0 / (n - 1) as f64;
        // Exactly symmetric, whatever the order of the sums.
        for j in 0..d {
            for i in j..d {
                let v = 0.5 * (cov[(i, j)] + cov[(j, i)]) * scale;
                cov[(i, j)] = v;
                cov[(j, i)] = v;
            }
        }
        Ok(Gaussian { mean, cov })
    }
}

/// Smallest Cholesky pivot, relative to the largest variance, for which the Cholesky
/// factor is used: below it the covariance is numerically singular, and the factor from
/// the eigendecomposition (negative rounding-error eigenvalues set to zero) is more accurate.
const MIN_PIVOT: f64 = 1e-9;

/// A factor `L` with `L L^T = cov`.
fn factor(cov: &Mat<f64>) -> Result<Mat<f64>> {
    let n = cov.nrows();
    let max_var = (0..n).map(|j| cov[(j, j)]).fold(0.0, f64::max);
    if let Ok(llt) = cov.llt(Side::Lower) {
        let l = llt.L();
        if (0..n).all(|j| l[(j, j)].powi(2) > MIN_PIVOT * max_var) {
            return Ok(l.to_owned());
        }
    }
    let eig = cov
        .self_adjoint_eigen(Side::Lower)
        .map_err(|e| err!("eigendecomposition of a covariance failed: {e:?}"))?;
    let s = eig.S().column_vector();
    let u = eig.U();
    // Eigenvalues within rounding error of zero (numerical rank) are zero.
    let cut = s.iter().fold(0.0f64, |m, v| m.max(v.abs())) * n as f64 * f64::EPSILON;
    let root: Vec<f64> = s
        .iter()
        .map(|&v| if v > cut { v.sqrt() } else { 0.0 })
        .collect();
    Ok(Mat::from_fn(n, n, |i, j| u[(i, j)] * root[j]))
}

/// `tr sqrt(a b)` for symmetric positive semi-definite `a`, `b`.
pub fn trace_sqrt_product(a: &Mat<f64>, b: &Mat<f64>) -> Result<f64> {
    let (la, lb) = (factor(a)?, factor(b)?);
    let m = la.transpose() * &lb;
    let s = m
        .singular_values()
        .map_err(|e| err!("singular values failed to converge: {e:?}"))?;
    Ok(s.iter().sum())
}

/// The Fréchet distance between two fitted Gaussians.
pub fn distance(a: &Gaussian, b: &Gaussian) -> Result<f64> {
    if a.mean.nrows() != b.mean.nrows() {
        return Err(err!(
            "feature dimensions differ ({} vs {})",
            a.mean.nrows(),
            b.mean.nrows()
        ));
    }
    let diff: f64 = (0..a.mean.nrows())
        .map(|j| (a.mean[j] - b.mean[j]).powi(2))
        .sum();
    let tr = |c: &Mat<f64>| (0..c.nrows()).map(|j| c[(j, j)]).sum::<f64>();
    let d = diff + tr(&a.cov) + tr(&b.cov) - 2.0 * trace_sqrt_product(&a.cov, &b.cov)?;
    if !d.is_finite() {
        return Err(err!("the Fréchet distance is not finite ({d})"));
    }
    Ok(d)
}

/// FID's formula on two feature sets (each at least 2 samples, one dimension).
pub fn frechet_distance(a: &Features, b: &Features) -> Result<f64> {
    check_pair(a, b, 2, "frechet_distance")?;
    distance(&Gaussian::fit(a)?, &Gaussian::fit(b)?)
}
