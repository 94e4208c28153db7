//! `Features`: a batch of feature vectors as a float64 matrix, the common input of the
//! feature-based measures.

use crate::bail;
use crate::error::Result;
use crate::tensor::DynTensor;
use faer::Mat;

/// `n` feature vectors of dimension `d` (rows of `mat`).
#[derive(Clone, Debug)]
pub struct Features {
    pub mat: Mat<f64>,
}

impl Features {
    /// From row-major values `[n, d]`.
    pub fn from_rows(values: &[f32], n: usize, d: usize) -> Result<Features> {
        if n == 0 || d == 0 || values.len() != n * d {
            bail!(
                "features must be [n, d] with n, d >= 1 ({} values for [{n}, {d}])",
                values.len()
            );
        }
        if values.iter().any(|v| !v.is_finite()) {
            bail!("features contain NaN or infinite values");
        }
        Ok(Features {
            mat: Mat::from_fn(n, d, |i, j| values[i * d + j] as f64),
        })
    }

    /// From a tensor `[n, ...]`: every sample flattened to one vector.
    pub fn from_tensor(t: &DynTensor, what: &str) -> Result<Features> {
        let shape = t.shape();
        if shape.len() < 2 {
            bail!("{what}: features must be a tensor [n, d] (or [n, ...]), got {shape:?}");
        }
        let n = shape[0];
        let d = shape[1..].iter().product();
        Features::from_rows(&t.to_vec(), n, d).map_err(|e| crate::err!("{what}: {e}"))
    }

    pub fn n(&self) -> usize {
        self.mat.nrows()
    }

    pub fn dim(&self) -> usize {
        self.mat.ncols()
    }
}

/// Checks that two feature sets have the same dimension and at least `min_n` rows each.
pub fn check_pair(a: &Features, b: &Features, min_n: usize, what: &str) -> Result<()> {
    if a.dim() != b.dim() {
        bail!(
            "{what}: feature dimensions differ ({} vs {})",
            a.dim(),
            b.dim()
        );
    }
    if a.n() < min_n || b.n() < min_n {
        bail!(
            "{what} needs at least {min_n} samples on each side, got {} and {}",
            a.n(),
            b.n()
        );
    }
    Ok(())
}

/// Features of `n` samples computed `batch` at a time: `next(start, len)` gives samples
/// `start..start + len` (images, or any input of `extract`), `extract` turns them into
/// `[len, ...]` features, flattened per sample.
pub fn collect(
    n: usize,
    batch: usize,
    mut next: impl FnMut(usize, usize) -> Result<DynTensor>,
    mut extract: impl FnMut(DynTensor) -> Result<DynTensor>,
) -> Result<Features> {
    if n == 0 || batch == 0 {
        bail!("n and batch must be at least 1 (n = {n}, batch = {batch})");
    }
    let mut values: Vec<f32> = Vec::new();
    let mut dim = 0;
    for start in (0..n).step_by(batch) {
        let len = batch.min(n - start);
        let out = extract(next(start, len)?)?;
        let shape = out.shape();
        if shape.is_empty() || shape[0] != len {
            bail!("the feature extractor returned {shape:?} for a batch of {len}");
        }
        let d: usize = shape[1..].iter().product();
        if start > 0 && d != dim {
            bail!("the feature extractor changed dimension ({dim} then {d})");
        }
        dim = d;
        values.extend(out.to_vec());
    }
    Features::from_rows(&values, n, dim.max(1))
}

/// A fixed, pretrained feature network (the built-in probe, Inception-v3): images in,
/// feature vectors out. Scripts hold one as a `FeatureNet` and pass it as `features`.
pub trait FeatureNet: Send + Sync {
    /// A short name for messages, like "probe(faces)" or "inception".
    fn name(&self) -> String;
    /// Features `[n, d]` of images `[n, c, h, w]` with values in [-1, 1].
    fn features(&self, images: DynTensor) -> Result<DynTensor>;
    /// Class probabilities `[n, classes]` of the same images, for the Inception Score;
    /// `None` when the network is not a classifier.
    fn probabilities(&self, _images: DynTensor) -> Result<Option<DynTensor>> {
        Ok(None)
    }
}

/// The script-side handle of a [`FeatureNet`] (cheap to clone).
#[derive(Clone)]
pub struct FeatureNetHandle(pub std::sync::Arc<dyn FeatureNet>);
