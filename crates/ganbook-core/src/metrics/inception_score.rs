//! Inception Score (Salimans et al. 2016): `exp(E_x KL(p(y|x) || p(y)))` from class
//! probabilities, per split of rows `[i N / s, (i + 1) N / s)` as in the original code and
//! torch-fidelity; mean and population standard deviation over the splits.

use crate::bail;
use crate::error::Result;

#[derive(Clone, Debug, PartialEq)]
pub struct Score {
    pub mean: f64,
    pub std: f64,
}

/// `probs` row-major `[n, classes]`, each row a distribution (non-negative, summing to 1
/// within 1e-3).
pub fn inception_score(probs: &[f32], n: usize, classes: usize, splits: usize) -> Result<Score> {
    if n == 0 || classes == 0 || probs.len() != n * classes {
        bail!("inception_score expects probabilities [n, classes]");
    }
    if splits == 0 || splits > n {
        bail!("inception_score: splits must be between 1 and n = {n}, got {splits}");
    }
    for (i, row) in probs.chunks(classes).enumerate() {
        let s: f64 = row.iter().map(|&p| p as f64).sum();
        if row.iter().any(|p| !(p.is_finite() && *p >= 0.0)) || (s - 1.0).abs() > 1e-3 {
            bail!(
                "inception_score: row {i} is not a probability distribution (sum {s}); pass softmax outputs, not logits"
            );
        }
    }
    let scores: Vec<f64> = (0..splits)
        .map(|k| {
            let part = &probs[k * n / splits * classes..(k + 1) * n / splits * classes];
            let rows = (part.len() / classes) as f64;
            let mut py = vec![0.0f64; classes];
            for row in part.chunks(classes) {
                for (c, &p) in row.iter().enumerate() {
                    py[c] += p as f64 / rows;
                }
            }
            let kl: f64 = part
                .chunks(classes)
                .map(|row| {
                    row.iter()
                        .zip(&py)
                        .filter(|(p, _)| **p > 0.0)
                        .map(|(&p, &q)| p as f64 * ((p as f64).ln() - q.ln()))
                        .sum::<f64>()
                })
                .sum();
            (kl / rows).exp()
        })
        .collect();
    let mean = scores.iter().sum::<f64>() / splits as f64;
    let var = scores.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / splits as f64;
    Ok(Score {
        mean,
        std: var.sqrt(),
    })
}
