//! `scatter2d`: the picture for teaching 2-D GANs — real and generated points, the critic's
//! output as a heatmap, and arrows where the critic's gradient pushes the generated points.

use super::context::Context;
use super::convert::{Options, call};
use super::def;
use super::model_fns::Model;
use crate::error::Result;
use crate::nn::Mode;
use crate::tensor::{DynTensor, Reduce};
use crate::viz::scatter::{self, Point, Scatter};
use crate::{bail, err, viz};
use rhai::{Engine, Map};
use std::sync::Arc;

/// Lattice cells per side of the heatmap.
const RES: usize = 60;
/// At most this many arrows (a subset of the generated points).
const MAX_ARROWS: usize = 150;

fn points(t: &DynTensor, what: &str) -> Result<Vec<Point>> {
    let shape = t.shape();
    if shape.len() != 2 || shape[1] != 2 {
        bail!("scatter2d: {what} must be points [n, 2], got {shape:?}");
    }
    Ok(t.to_vec()
        .chunks(2)
        .map(|p| (p[0] as f64, p[1] as f64))
        .collect())
}

/// The critic's outputs on a lattice over `lo..hi` (row-major from the bottom-left).
fn heat(critic: &Model, lo: f64, hi: f64) -> Result<Vec<f64>> {
    let cell = (hi - lo) / RES as f64;
    let mut xy = Vec::with_capacity(2 * RES * RES);
    for j in 0..RES {
        for i in 0..RES {
            xy.push((lo + (i as f64 + 0.5) * cell) as f32);
            xy.push((lo + (j as f64 + 0.5) * cell) as f32);
        }
    }
    let out = critic.sample(DynTensor::from_vec(xy, &[RES * RES, 2])?)?;
    if out.numel() != RES * RES {
        bail!(
            "scatter2d: the critic must give one number per point, got shape {:?}",
            out.shape()
        );
    }
    Ok(out.to_vec().into_iter().map(f64::from).collect())
}

/// d critic / d point for (a subset of) the generated points, scaled for drawing.
fn arrows(critic: &Model, fake: &[Point], span: f64) -> Result<Vec<(Point, Point)>> {
    let step = fake.len().div_ceil(MAX_ARROWS).max(1);
    let chosen: Vec<Point> = fake.iter().step_by(step).copied().collect();
    let flat = chosen
        .iter()
        .flat_map(|&(x, y)| [x as f32, y as f32])
        .collect();
    let x = DynTensor::from_vec(flat, &[chosen.len(), 2])?.require_grad();
    let out = critic
        .state()
        .seq
        .forward(x.clone(), Mode { training: false })?;
    let total = out.reduce(Reduce::Sum, None)?.ranked::<1>("scatter2d")?;
    let grads = total.backward();
    let g = x
        .ranked::<2>("scatter2d")?
        .grad(&grads)
        .ok_or_else(|| err!("scatter2d: no gradient reached the points"))?;
    let g: Vec<f64> = DynTensor::new(g)
        .to_vec()
        .into_iter()
        .map(f64::from)
        .collect();
    let longest = g.chunks(2).map(|d| d[0].hypot(d[1])).fold(0.0, f64::max);
    let scale = if longest > 0.0 {
        0.08 * span / longest
    } else {
        0.0
    };
    Ok(chosen
        .into_iter()
        .zip(g.chunks(2))
        .map(|(p, d)| (p, (d[0] * scale, d[1] * scale)))
        .collect())
}

fn scatter2d(
    ctx: &Context,
    real: &DynTensor,
    fake: &DynTensor,
    name: &str,
    m: &Map,
) -> Result<String> {
    let o = Options::new(m, "scatter2d", &["critic", "generator_arrows", "title"])?;
    let (real, fake) = (points(real, "real")?, points(fake, "fake")?);
    let critic = match m.get("critic") {
        Some(v) => Some(
            v.clone()
                .try_cast::<Model>()
                .ok_or_else(|| err!("critic must be a model"))?,
        ),
        None => None,
    };
    let (lo, hi) = scatter::bounds(&real, &fake);
    let heat = critic.as_ref().map(|c| heat(c, lo, hi)).transpose()?;
    let arrows = match (&critic, o.bool("generator_arrows", critic.is_some())?) {
        (Some(c), true) => arrows(c, &fake, hi - lo)?,
        (None, true) => bail!("generator_arrows needs a critic: #{{critic: D}}"),
        _ => Vec::new(),
    };
    let step = *ctx.step.lock().unwrap();
    let title = match (m.get("title"), step) {
        (Some(t), _) => t.to_string(),
        (None, Some(s)) => format!("step {s}"),
        (None, None) => name.rsplit('/').next().unwrap_or(name).to_string(),
    };
    let picture = Scatter {
        real,
        fake,
        heat: heat.map(|h| (RES, h)),
        arrows,
        title,
    };
    let path = ctx.output_path(name, "samples", "png")?;
    viz::save_png(&scatter::render(&picture)?, &path)?;
    Ok(path.display().to_string())
}

pub fn register(e: &mut Engine, ctx: &Arc<Context>) {
    let c = ctx.clone();
    def(
        e,
        "scatter2d",
        "scatter2d(real, fake, name) -> string\nA PNG of real (green) and generated (magenta) 2-D points [n, 2]. Returns the path.",
        move |r: DynTensor, f: DynTensor, name: &str| {
            call("scatter2d", || scatter2d(&c, &r, &f, name, &Map::new()))
        },
    );
    let c = ctx.clone();
    def(
        e,
        "scatter2d",
        "scatter2d(real, fake, name, #{critic, generator_arrows, title}) -> string\nAs scatter2d(real, fake, name), over the critic's output drawn as a heatmap (critic: D), with arrows showing where the critic's gradient moves each generated point (generator_arrows, on when a critic is given). A name like \"frames/step\" gets the current step, for gif().",
        move |r: DynTensor, f: DynTensor, name: &str, m: Map| {
            call("scatter2d", || scatter2d(&c, &r, &f, name, &m))
        },
    );
}
