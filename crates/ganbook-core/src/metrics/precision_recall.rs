//! Improved precision and recall (Kynkäänniemi et al. 2019): each feature set's manifold is
//! the union of balls around its samples reaching their k-th nearest neighbour; precision is
//! the share of fake samples inside the real manifold, recall the share of real samples
//! inside the fake one.

use super::features::{Features, check_pair};
use crate::bail;
use crate::error::Result;
use faer::{Mat, MatRef};

#[derive(Clone, Debug, PartialEq)]
pub struct PrecisionRecall {
    pub precision: f64,
    pub recall: f64,
}

/// Rows processed at once (bounds memory at `BLOCK * n` distances).
const BLOCK: usize = 1024;

fn sq_norms(x: MatRef<'_, f64>) -> Vec<f64> {
    (0..x.nrows())
        .map(|i| x.row(i).iter().map(|v| v * v).sum())
        .collect()
}

/// Squared distances between rows `start..start+len` of `q` and every row of `r`.
fn sq_dists(q: MatRef<'_, f64>, qn: &[f64], r: MatRef<'_, f64>, rn: &[f64]) -> Mat<f64> {
    let g: Mat<f64> = q * r.transpose();
    Mat::from_fn(q.nrows(), r.nrows(), |i, j| qn[i] + rn[j] - 2.0 * g[(i, j)])
}

/// Squared radius of each sample's ball: distance to its k-th nearest other sample.
fn radii(r: &Features, k: usize) -> Vec<f64> {
    let x = r.mat.as_ref();
    let norms = sq_norms(x);
    let mut out = Vec::with_capacity(r.n());
    for start in (0..r.n()).step_by(BLOCK) {
        let len = BLOCK.min(r.n() - start);
        let d = sq_dists(x.subrows(start, len), &norms[start..start + len], x, &norms);
        for i in 0..len {
            let mut row: Vec<f64> = d.row(i).iter().copied().collect();
            // Index 0 is the sample itself (distance ~0), so index k is the k-th other one.
            let (_, kth, _) = row.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
            out.push(*kth);
        }
    }
    out
}

/// Share of `query` samples inside the manifold of `reference`.
fn inside_share(reference: &Features, query: &Features, k: usize) -> f64 {
    let rad = radii(reference, k);
    let (r, q) = (reference.mat.as_ref(), query.mat.as_ref());
    let (rn, qn) = (sq_norms(r), sq_norms(q));
    let mut inside = 0usize;
    for start in (0..query.n()).step_by(BLOCK) {
        let len = BLOCK.min(query.n() - start);
        let d = sq_dists(q.subrows(start, len), &qn[start..start + len], r, &rn);
        inside += (0..len)
            .filter(|&i| (0..reference.n()).any(|j| d[(i, j)] <= rad[j]))
            .count();
    }
    inside as f64 / query.n() as f64
}

/// Precision and recall with `k` nearest neighbours (3 in the paper).
pub fn precision_recall(real: &Features, fake: &Features, k: usize) -> Result<PrecisionRecall> {
    if k == 0 {
        bail!("precision_recall: k must be at least 1");
    }
    check_pair(real, fake, k + 1, "precision_recall (k + 1 samples)")?;
    Ok(PrecisionRecall {
        precision: inside_share(real, fake, k),
        recall: inside_share(fake, real, k),
    })
}
