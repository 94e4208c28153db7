//! Mode coverage of a 2-D mixture (VEEGAN / PacGAN): a sample is high quality when it lies
//! within 3 standard deviations of its nearest mode; a mode is covered when it is the
//! nearest mode of at least one high-quality sample. The reverse KL (PacGAN) is
//! `KL(q || uniform)`, `q` being the share of high-quality samples at each mode: 0 when every
//! mode gets as many, `ln(modes)` when all fall on one mode (infinite with no high-quality
//! sample at all).

use crate::bail;
use crate::data::toy2d::Mixture;
use crate::error::Result;

#[derive(Clone, Debug, PartialEq)]
pub struct Coverage {
    /// Modes covered.
    pub modes: usize,
    /// Modes in the mixture.
    pub total_modes: usize,
    /// Share of samples that are high quality, in [0, 1].
    pub high_quality: f64,
    /// KL(q || uniform) of the high-quality samples' distribution over modes, in nats.
    pub reverse_kl: f64,
}

/// `points` are row-major [n, 2].
pub fn coverage(points: &[f32], mixture: &Mixture) -> Result<Coverage> {
    if points.is_empty() || !points.len().is_multiple_of(2) {
        bail!("mode_coverage expects samples of shape [n, 2]");
    }
    let mut counts = vec![0usize; mixture.centers.len()];
    let mut good = 0usize;
    let n = points.len() / 2;
    for p in points.chunks(2) {
        let (k, d2) = mixture
            .centers
            .iter()
            .enumerate()
            .map(|(k, c)| {
                (
                    k,
                    (p[0] as f64 - c[0]).powi(2) + (p[1] as f64 - c[1]).powi(2),
                )
            })
            .fold(
                (0, f64::INFINITY),
                |best, cur| if cur.1 < best.1 { cur } else { best },
            );
        if d2.sqrt() <= 3.0 * mixture.std {
            good += 1;
            counts[k] += 1;
        }
    }
    let modes = counts.len() as f64;
    let reverse_kl = if good == 0 {
        f64::INFINITY
    } else {
        counts
            .iter()
            .filter(|&&c| c > 0)
            .map(|&c| {
                let q = c as f64 / good as f64;
                q * (q * modes).ln()
            })
            .sum()
    };
    Ok(Coverage {
        modes: counts.iter().filter(|&&c| c > 0).count(),
        total_modes: mixture.centers.len(),
        high_quality: good as f64 / n as f64,
        reverse_kl,
    })
}
