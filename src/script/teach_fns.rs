//! `scatter2d`: the picture for teaching 2-D GANs — real and generated points, the critic's
//! output as a heatmap, and arrows where the critic's gradient pushes the generated points.

use super::convert::{Options, call};
use super::critic_map::{self, Asking};
use super::def;
use super::model_fns::Model;
use crate::error::Result;
use crate::state::RunState;
use crate::tensor::DynTensor;
use crate::viz::frame::{self, Views};
use crate::viz::scatter::{self, Point, Scatter};
use crate::{bail, err};
use rhai::{Engine, Map};
use std::sync::{Arc, Mutex};

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

/// Latents per side of the manifold's grid, and how far it reaches (in standard deviations).
const MANIFOLD_SIDE: usize = 21;
const MANIFOLD_REACH: f64 = 2.0;

/// GAN Lab's manifold: `g` applied to a regular grid over the first two of `z` latent
/// dimensions (-2..2 std; the others 0), row-major: [21 * 21] points.
fn manifold(g: &Model, z: usize) -> Result<Vec<Point>> {
    if z < 2 {
        bail!("scatter2d: the manifold needs a latent of at least 2 dimensions (z), got {z}");
    }
    let k = MANIFOLD_SIDE;
    let mut latents = vec![0f32; k * k * z];
    for i in 0..k {
        for j in 0..k {
            let at = |t: usize| -MANIFOLD_REACH + 2.0 * MANIFOLD_REACH * t as f64 / (k - 1) as f64;
            latents[(i * k + j) * z] = at(j) as f32;
            latents[(i * k + j) * z + 1] = at(i) as f32;
        }
    }
    let input = DynTensor::from_vec(latents, &[k * k, z])?;
    let out = g
        .state()
        .seq
        .forward(input, crate::nn::Mode { training: false })
        .map_err(|e| err!("scatter2d: the manifold's generator cannot take [n, {z}] latents ({e}); say its latent size with #{{z: n}}"))?
        .detach();
    points(&out, "the generator's output")
}

fn scatter2d(
    ctx: &RunState,
    views: &Mutex<Views>,
    real: &DynTensor,
    fake: &DynTensor,
    name: &str,
    m: &Map,
) -> Result<String> {
    let o = Options::new(
        m,
        "scatter2d",
        &[
            "critic",
            "generator_arrows",
            "title",
            "pack",
            "view",
            "critic_output",
            "manifold",
            "z",
        ],
    )?;
    let (real, fake) = (points(real, "real")?, points(fake, "fake")?);
    let critic = match m.get("critic") {
        Some(v) => Some(
            v.clone()
                .try_cast::<Model>()
                .ok_or_else(|| err!("critic must be a model"))?,
        ),
        None => None,
    };
    let view = match o.get("view") {
        Some(_) => {
            let v = o.pair("view", (0.0, 0.0))?;
            if v.0.partial_cmp(&v.1) != Some(std::cmp::Ordering::Less) {
                bail!("scatter2d: view must be [low, high] with low < high, got {v:?}");
            }
            v
        }
        None => views.lock().unwrap().view(name, &real),
    };
    let logit = match o.str("critic_output", "logit")?.as_str() {
        "logit" => true,
        "score" => false,
        other => bail!("scatter2d: critic_output must be \"logit\" or \"score\", got \"{other}\""),
    };
    let ask = Asking::new(o.usize("pack", 1)?, &real, logit)?;
    let heat = critic
        .as_ref()
        .map(|c| critic_map::heat(c, &ask, view))
        .transpose()?;
    let arrows = match (&critic, o.bool("generator_arrows", critic.is_some())?) {
        (Some(c), true) => {
            frame::scale_arrows(&critic_map::arrows(c, &ask, &fake, view)?, view.1 - view.0)
        }
        (None, true) => bail!("generator_arrows needs a critic: #{{critic: D}}"),
        _ => Vec::new(),
    };
    let manifold = match m.get("manifold") {
        Some(g) => {
            let g = g
                .clone()
                .try_cast::<Model>()
                .ok_or_else(|| err!("manifold must be the generator (a model)"))?;
            manifold(&g, o.usize("z", 2)?)?
        }
        None => Vec::new(),
    };
    let step = ctx.step();
    let picture = Scatter {
        manifold,
        real,
        fake,
        view,
        heat,
        arrows,
        title: frame::frame_title(m.get("title").map(|t| t.to_string()), name, step),
    };
    let path = ctx.output_path(name, "samples", "png")?;
    ctx.save_image(&scatter::render(&picture)?, &path)?;
    Ok(path.display().to_string())
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    // each series' view, fitted on its first frame: shared by both forms of scatter2d
    let views = Arc::new(Mutex::new(Views::default()));
    let (c, v) = (ctx.clone(), views.clone());
    def(
        e,
        "scatter2d",
        "scatter2d(real, fake, name) -> string\nA PNG of real (green) and generated (purple) 2-D points [n, 2]. The view is fitted to the real points of a series' first frame (name) and kept, so GIF frames do not zoom. Returns the path.",
        move |r: DynTensor, f: DynTensor, name: &str| {
            call("scatter2d", || scatter2d(&c, &v, &r, &f, name, &Map::new()))
        },
    );
    let c = ctx.clone();
    def(
        e,
        "scatter2d",
        "scatter2d(real, fake, name, #{critic, pack, critic_output, generator_arrows, manifold, z, view, title}) -> string\nAs scatter2d(real, fake, name), over the critic's output drawn as a heatmap with a colour bar (critic: D; critic_output \"logit\", the default, shows sigmoid(D) = P(real), the bar centred on 0.5 (undecided) and fitted to each frame, from 0.45..0.55 to 0..1; \"score\" shows D's raw output, e.g. a WGAN critic's), with orange arrows (at most 40, one per 1/24 of the view) where the critic's gradient moves generated points (generator_arrows, on when a critic is given). pack: k for a critic that judges k samples at once (PacGAN): each point is judged packed with k - 1 real points, for 8 sets of real partners, averaged. manifold: G draws GAN Lab's manifold, G applied to a regular 21 x 21 grid of latents (-2..2 on the first two of z latent dimensions, z 2 unless given; the rest 0) as a grey mesh, showing how G warps its latent space. view: [low, high] fixes both axes (default: the real points' extent plus 35%, fitted on the series' first frame). The title is \"step N\" for a name like \"frames/step\" (which gets the current step, for gif()), else the name.",
        move |r: DynTensor, f: DynTensor, name: &str, m: Map| {
            call("scatter2d", || scatter2d(&c, &views, &r, &f, name, &m))
        },
    );
}
