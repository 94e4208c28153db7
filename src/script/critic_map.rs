//! The critic's view of the plane for `scatter2d`: its answer on a lattice (the heatmap)
//! and its gradient at generated points (the arrows), for a critic that judges one point at
//! a time or, PacGAN-style, `pack` points at once (each point packed with real ones).

use super::model_fns::Model;
use crate::error::Result;
use crate::nn::Mode;
use crate::tensor::{DynTensor, Reduce};
use crate::viz::frame;
use crate::viz::scatter::{self, Point};
use crate::{bail, err};

/// Lattice cells per side of the heatmap.
const RES: usize = 60;
/// A packed critic judges each point beside this many different sets of real partners.
const PARTNERS: usize = 8;

/// How the critic is asked about one point: alone (pack 1), or — when it judges `pack`
/// samples at once (PacGAN) — packed with pack - 1 real points, once for each of several
/// sets of real partners, the answers averaged.
pub struct Asking {
    pack: usize,
    /// [sets][2 * (pack - 1)]: the real partners, flattened.
    partners: Vec<Vec<f32>>,
    /// The critic's output is a logit (shown as the probability sigmoid(D)), or a score.
    logit: bool,
}

impl Asking {
    pub fn new(pack: usize, real: &[Point], logit: bool) -> Result<Asking> {
        if pack == 0 {
            bail!("scatter2d: pack must be at least 1");
        }
        let per = pack - 1;
        if per > 0 && real.len() < per {
            bail!(
                "scatter2d: pack {pack} needs at least {per} real points to pack with, got {}",
                real.len()
            );
        }
        let sets = real.len().checked_div(per).map_or(1, |n| n.min(PARTNERS));
        let partners = (0..sets)
            .map(|j| {
                real[j * per..(j + 1) * per]
                    .iter()
                    .flat_map(|&(x, y)| [x as f32, y as f32])
                    .collect()
            })
            .collect();
        Ok(Asking {
            pack,
            partners,
            logit,
        })
    }

    /// The critic's inputs [points * sets, 2 * pack]: each point beside each set of partners.
    fn inputs(&self, pts: &[(f32, f32)]) -> Result<(DynTensor, Option<DynTensor>)> {
        let sets = self.partners.len();
        let xy: Vec<f32> = pts
            .iter()
            .flat_map(|&(x, y)| std::iter::repeat_n([x, y], sets).flatten())
            .collect();
        let x = DynTensor::from_vec(xy, &[pts.len() * sets, 2])?;
        if self.pack == 1 {
            return Ok((x, None));
        }
        let others: Vec<f32> = (0..pts.len())
            .flat_map(|_| self.partners.iter().flatten().copied())
            .collect();
        let width = 2 * (self.pack - 1);
        let others = DynTensor::from_vec(others, &[pts.len() * sets, width])?;
        Ok((x, Some(others)))
    }

    fn forward(
        &self,
        critic: &Model,
        x: DynTensor,
        others: Option<DynTensor>,
    ) -> Result<DynTensor> {
        let input = match others {
            Some(o) => DynTensor::cat(vec![x, o], 1)?,
            None => x,
        };
        let rows = input.shape()[0];
        let out = critic
            .state()
            .seq
            .forward(input, Mode { training: false })
            .map_err(|e| {
                err!(
                    "scatter2d: the critic cannot judge [n, {}] inputs ({e}); a critic that judges k packed samples needs #{{pack: k}}",
                    2 * self.pack
                )
            })?;
        if out.numel() != rows {
            bail!(
                "scatter2d: the critic must give one number per input, got shape {:?} for {rows} inputs",
                out.shape()
            );
        }
        Ok(out)
    }
}

/// The critic's answer on a lattice over the view (row-major from the bottom-left), as a
/// probability when its output is a logit.
pub fn heat(critic: &Model, ask: &Asking, (lo, hi): (f64, f64)) -> Result<scatter::Heat> {
    let cell = (hi - lo) / RES as f64;
    let mut pts = Vec::with_capacity(RES * RES);
    for j in 0..RES {
        for i in 0..RES {
            let at = |k: usize| (lo + (k as f64 + 0.5) * cell) as f32;
            pts.push((at(i), at(j)));
        }
    }
    let (x, others) = ask.inputs(&pts)?;
    let out = ask.forward(critic, x.detach(), others)?.detach().to_vec();
    let sets = ask.partners.len();
    let values: Vec<f64> = out
        .chunks(sets)
        .map(|c| {
            let v = c.iter().map(|&v| v as f64);
            let v: f64 = if ask.logit {
                v.map(|v| 1.0 / (1.0 + (-v).exp())).sum()
            } else {
                v.sum()
            };
            v / sets as f64
        })
        .collect();
    let (range, what) = if ask.logit {
        (frame::probability_range(&values), "D(x) = P(real)")
    } else {
        let (a, b) = values
            .iter()
            .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
        ((a, b.max(a + 1e-9)), "critic score D(x)")
    };
    let label = if ask.pack > 1 {
        format!("{what}, x packed with real")
    } else {
        what.to_string()
    };
    Ok(scatter::Heat {
        res: RES,
        values,
        range,
        label,
    })
}

/// d critic / d point for the generated points frame::arrow_starts picks, summed over the
/// sets of real partners: the direction the critic rates more real.
pub fn arrows(
    critic: &Model,
    ask: &Asking,
    fake: &[Point],
    view: (f64, f64),
) -> Result<Vec<(Point, Point)>> {
    let chosen = frame::arrow_starts(fake, view);
    if chosen.is_empty() {
        return Ok(Vec::new());
    }
    let pts: Vec<(f32, f32)> = chosen.iter().map(|&(x, y)| (x as f32, y as f32)).collect();
    let (x, others) = ask.inputs(&pts)?;
    let x = x.require_grad();
    let out = ask.forward(critic, x.clone(), others)?;
    let total = out.reduce(Reduce::Sum, None)?.ranked::<1>("scatter2d")?;
    let grads = total.backward();
    let g = x
        .ranked::<2>("scatter2d")?
        .grad(&grads)
        .ok_or_else(|| err!("scatter2d: no gradient reached the points"))?;
    let g = DynTensor::new(g).to_vec();
    let sets = ask.partners.len();
    Ok(chosen
        .into_iter()
        .zip(g.chunks(2 * sets))
        .map(|(p, d)| {
            let sum = |o: usize| d.iter().skip(o).step_by(2).map(|&v| v as f64).sum::<f64>();
            (p, (sum(0), sum(1)))
        })
        .collect())
}
