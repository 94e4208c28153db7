//! What a run leaves to look at: `log`, `grid`, `plot_log`, `plot`, `hist`, `gif`,
//! `interpolate`. Names are relative to the run folder; `samples/step` gets the step appended.
//! Rows and images also go to the run's TensorBoard events file (through `RunState`).

use super::convert::{Options, call, num};
use super::def;
use super::model_fns::Model;
use crate::error::Result;
use crate::state::RunState;
use crate::state::logbook::Row;
use crate::tensor::DynTensor;
use crate::viz::{self, grid::GridOptions, plot::PlotOptions};
use crate::{bail, err};
use rhai::{Array, Dynamic, Engine, INT, Map};
use std::sync::Arc;

pub fn log(ctx: &RunState, step: INT, values: &Map, opts: &Map) -> Result<()> {
    let stop = Options::new(opts, "log", &["stop_on_nan"])?.bool("stop_on_nan", false)?;
    let mut row = Row {
        step,
        values: Vec::new(),
    };
    for (k, v) in values {
        let x = if let Some(t) = v.clone().try_cast::<DynTensor>() {
            t.item().map_err(|_| {
                err!(
                    "log: '{k}' must be one number, got a tensor of shape {:?}",
                    t.shape()
                )
            })?
        } else {
            num(v, k)?
        };
        row.values.push((k.to_string(), x));
    }
    ctx.set_step(Some(step));
    let steps = ctx.used_param("steps").and_then(|v| v.as_i64());
    let bad: Vec<(String, f64)> = row
        .values
        .iter()
        .filter(|(_, x)| !x.is_finite())
        .cloned()
        .collect();
    ctx.log_row(row, steps)?;
    for (k, x) in bad {
        ctx.check_finite(&k, x, stop)?;
    }
    Ok(())
}

fn grid(ctx: &RunState, t: &DynTensor, name: &str, m: &Map) -> Result<String> {
    let o = Options::new(m, "grid", &["nrow", "padding", "range", "step"])?;
    let mut opts = GridOptions::default();
    if m.contains_key("nrow") {
        opts.nrow = Some(o.usize("nrow", 8)?);
    }
    opts.padding = o.usize("padding", opts.padding)?;
    opts.range = o.pair("range", opts.range)?;
    let path = match m.get("step") {
        Some(s) => crate::state::logbook::output_path(
            ctx.out_dir(),
            name,
            "samples",
            "png",
            Some(num(s, "step")? as i64),
        )?,
        None => ctx.output_path(name, "samples", "png")?,
    };
    ctx.save_image(&viz::grid::render(t, &opts)?, &path)?;
    Ok(path.display().to_string())
}

fn plot_log(ctx: &RunState, keys: &Array, name: &str, m: &Map) -> Result<String> {
    let o = Options::new(
        m,
        "plot_log",
        &["smooth", "logy", "title", "ylabel", "markers"],
    )?;
    let smooth = o.f64("smooth", 0.9)?;
    if !(0.0..1.0).contains(&smooth) {
        bail!("smooth must be in [0, 1), got {smooth}");
    }
    let mut names = Vec::new();
    for k in keys {
        let key = k
            .clone()
            .into_string()
            .map_err(|_| err!("keys must be strings, got {}", k.type_name()))?;
        names.push(key);
    }
    let series = ctx.with_log(|book| {
        book.flush()?;
        names
            .iter()
            .map(|key| Ok((key.clone(), book.series(key)?)))
            .collect::<Result<Vec<_>>>()
    })?;
    let names: Vec<String> = series.iter().map(|(n, _)| n.clone()).collect();
    let opts = PlotOptions {
        title: title(m, name),
        xlabel: "step".into(),
        ylabel: o.str("ylabel", &viz::axes::axis_name(&names))?,
        logy: o.bool("logy", false)?,
        smooth: Some(smooth),
        markers: markers(&o)?,
    };
    let path = ctx.output_path(name, "plots", "png")?;
    ctx.save_image(&viz::plot::lines(&series, &opts)?, &path)?;
    Ok(path.display().to_string())
}

/// The `markers` option: true or false, or absent (markers on short series).
fn markers(o: &Options) -> Result<Option<bool>> {
    o.get("markers")
        .map(|_| o.bool("markers", false))
        .transpose()
}

fn title(m: &Map, name: &str) -> String {
    m.get("title")
        .map(|t| t.to_string())
        .unwrap_or_else(|| name.rsplit('/').next().unwrap_or(name).replace('_', " "))
}

/// `plot(#{a: [..], b: tensor}, name, #{xlabel, ylabel, logy})`: each series is y values
/// (x = 0, 1, ...) or [[x, y], ...] pairs.
fn plot(ctx: &RunState, data: &Map, name: &str, m: &Map) -> Result<String> {
    let o = Options::new(
        m,
        "plot",
        &["xlabel", "ylabel", "logy", "smooth", "title", "markers"],
    )?;
    let mut series = Vec::new();
    for (k, v) in data {
        series.push((k.to_string(), points(v, k)?));
    }
    let text = |key: &str, default: &str| m.get(key).map_or(default.to_string(), |v| v.to_string());
    let smooth = o.f64("smooth", 0.0)?;
    let names: Vec<String> = series.iter().map(|(n, _)| n.clone()).collect();
    let opts = PlotOptions {
        title: title(m, name),
        xlabel: text("xlabel", "x"),
        ylabel: text("ylabel", &viz::axes::axis_name(&names)),
        logy: o.bool("logy", false)?,
        smooth: (smooth > 0.0).then_some(smooth.min(0.999)),
        markers: markers(&o)?,
    };
    let path = ctx.output_path(name, "plots", "png")?;
    ctx.save_image(&viz::plot::lines(&series, &opts)?, &path)?;
    Ok(path.display().to_string())
}

fn points(v: &Dynamic, what: &str) -> Result<Vec<(f64, f64)>> {
    if let Some(t) = v.clone().try_cast::<DynTensor>() {
        return Ok(t
            .to_vec()
            .iter()
            .enumerate()
            .map(|(i, &y)| (i as f64, y as f64))
            .collect());
    }
    let Some(arr) = v.clone().try_cast::<Array>() else {
        bail!(
            "plot: series '{what}' must be an array or a tensor, got {}",
            v.type_name()
        );
    };
    arr.iter()
        .enumerate()
        .map(|(i, item)| match item.clone().try_cast::<Array>() {
            Some(p) if p.len() == 2 => Ok((num(&p[0], what)?, num(&p[1], what)?)),
            Some(_) => bail!("plot: series '{what}': points must be [x, y]"),
            None => Ok((i as f64, num(item, what)?)),
        })
        .collect()
}

/// One series (`prefixes` of one) as is, or several laid side by side, frame k of each.
fn gif(ctx: &RunState, prefixes: &[String], name: &str, m: &Map) -> Result<String> {
    let o = Options::new(m, "gif", &["fps", "label"])?;
    let fps = o.f64("fps", 5.0)?;
    let series: Vec<_> = prefixes
        .iter()
        .map(|p| viz::gif::frames(ctx.out_dir(), p))
        .collect::<Result<_>>()?;
    let mut images = match series.as_slice() {
        [] => bail!(
            "gif: give at least one frame prefix, e.g. gif([\"plain/step\", \"pacgan/step\"], name)"
        ),
        [one] => viz::gif::load(one)?,
        many => viz::gif::side_by_side(many)?,
    };
    if o.bool("label", false)? {
        // the longest series names the frames (shorter ones hold their last frame)
        let longest = series
            .iter()
            .max_by_key(|s| s.len())
            .map_or(&[][..], |s| &s[..]);
        let labels: Vec<String> = longest.iter().map(|f| viz::gif::frame_label(f)).collect();
        images = viz::gif::labelled(images, &labels)?;
    }
    let bytes = viz::gif::encode_images(images, fps)?;
    let path = ctx.output_path(name, "plots", "gif")?;
    crate::files::ensure_parent(&path)?;
    crate::files::write_atomic(&path, &bytes)?;
    Ok(path.display().to_string())
}

fn strings(arr: &Array, what: &str) -> Result<Vec<String>> {
    arr.iter()
        .map(|v| {
            v.clone()
                .into_string()
                .map_err(|_| err!("{what}: expected strings, got {}", v.type_name()))
        })
        .collect()
}

/// A latent walk: `steps` images from G(z0) to G(z1) (linear in z), as one strip.
fn interpolate(
    ctx: &RunState,
    g: &Model,
    z0: &DynTensor,
    z1: &DynTensor,
    steps: INT,
    name: &str,
) -> Result<String> {
    if steps < 2 {
        bail!("interpolate needs at least 2 steps, got {steps}");
    }
    if z0.shape() != z1.shape() {
        bail!(
            "interpolate: z0 {:?} and z1 {:?} must have one shape",
            z0.shape(),
            z1.shape()
        );
    }
    let (a, b) = (z0.to_vec(), z1.to_vec());
    let mut values = Vec::new();
    for i in 0..steps {
        let t = i as f32 / (steps - 1) as f32;
        values.extend(a.iter().zip(&b).map(|(x, y)| x + t * (y - x)));
    }
    let per: Vec<usize> = if z0.shape()[0] == 1 {
        z0.shape()[1..].to_vec()
    } else {
        z0.shape()
    };
    let mut shape = vec![steps as usize];
    shape.extend(per);
    let z = DynTensor::from_vec(values, &shape)?;
    let imgs = g.sample(z)?;
    let opts = GridOptions {
        nrow: Some(steps as usize),
        ..GridOptions::default()
    };
    let path = ctx.output_path(name, "samples", "png")?;
    ctx.save_image(&viz::grid::render(&imgs, &opts)?, &path)?;
    Ok(path.display().to_string())
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    let c = ctx.clone();
    def(
        e,
        "log",
        "log(step, values)\nRecords #{name: number or one-element tensor, ...} for a step: appends to metrics.jsonl / metrics.csv, updates the status line, and makes `step` the current step for names like \"samples/step\".",
        move |step: INT, values: Map| call("log", || log(&c, step, &values, &Map::new())),
    );
    let c = ctx.clone();
    def(
        e,
        "log",
        "log(step, values, #{stop_on_nan})\nAs log(step, values); stop_on_nan: true stops the run (status \"nan\", exit code 3) when a value is NaN or Inf, before anything after it (a save) runs. Without it a NaN/Inf value is warned about and recorded in run.json (warnings, nan_steps).",
        move |step: INT, values: Map, o: Map| call("log", || log(&c, step, &values, &o)),
    );
    for (args, doc) in [
        (
            false,
            "grid(t, name) -> string\nSaves images [N, C, H, W] (C = 1 or 3, values in [-1, 1]) as a PNG grid; \"samples/step\" becomes samples/step_000300.png at step 300. Returns the path.",
        ),
        (
            true,
            "grid(t, name, #{nrow, padding, range, step}) -> string\nA PNG grid with options: images per row, pixels between images, the value range shown black to white (default [-1, 1]).",
        ),
    ] {
        let c = ctx.clone();
        if args {
            def(e, "grid", doc, move |t: DynTensor, name: &str, m: Map| {
                call("grid", || grid(&c, &t, name, &m))
            });
        } else {
            def(e, "grid", doc, move |t: DynTensor, name: &str| {
                call("grid", || grid(&c, &t, name, &Map::new()))
            });
        }
    }
    let c = ctx.clone();
    def(
        e,
        "plot_log",
        "plot_log(keys, name, #{smooth, logy, title, ylabel, markers}) -> string\nCurves of logged values against the step, raw (faint) and smoothed (solid, EMA weight smooth, default 0.9), with a legend placed where it covers no data: plots/<name>.png. The y axis is named by the words the keys share (\"modes_plain\", \"modes_pacgan\" -> \"modes\") unless ylabel is given; ticks are integers when every value is; series of at most 30 points get a dot per point (markers: true/false to choose).",
        move |keys: Array, name: &str, m: Map| call("plot_log", || plot_log(&c, &keys, name, &m)),
    );
    let c = ctx.clone();
    def(
        e,
        "plot_log",
        "plot_log(keys, name) -> string\nplot_log with smoothing 0.9.",
        move |keys: Array, name: &str| call("plot_log", || plot_log(&c, &keys, name, &Map::new())),
    );
    let c = ctx.clone();
    def(
        e,
        "plot",
        "plot(series, name, #{xlabel, ylabel, logy, smooth, title, markers}) -> string\nLine plot of #{label: [y, ...] or [[x, y], ...] or a tensor}: plots/<name>.png. As plot_log: y axis named by the labels unless ylabel is given, integer ticks for whole numbers, dots on series of at most 30 points (markers: true/false to choose).",
        move |data: Map, name: &str, m: Map| call("plot", || plot(&c, &data, name, &m)),
    );
    let c = ctx.clone();
    def(
        e,
        "plot",
        "plot(series, name) -> string\nLine plot of #{label: values}.",
        move |data: Map, name: &str| call("plot", || plot(&c, &data, name, &Map::new())),
    );
    let c = ctx.clone();
    def(
        e,
        "hist",
        "hist(t, name) -> string\nHistogram of a tensor's values (50 bins): plots/<name>.png.",
        move |t: DynTensor, name: &str| {
            call("hist", || {
                let vals: Vec<f64> = t.to_vec().iter().map(|&v| v as f64).collect();
                let path = c.output_path(name, "plots", "png")?;
                c.save_image(
                    &viz::plot::hist(&vals, 50, &title(&Map::new(), name))?,
                    &path,
                )?;
                Ok(path.display().to_string())
            })
        },
    );
    let c = ctx.clone();
    def(
        e,
        "gif",
        "gif(prefix, name, #{fps, label}) -> string\nAn animation of the PNG frames saved under prefix (e.g. \"samples/step\"), in name order, at fps frames per second (default 5): plots/<name>.gif. label: true puts each frame's step (\"step 300\" from step_000300.png) in a band above it, for frames such as sample grids that carry no caption.",
        move |prefix: &str, name: &str, m: Map| {
            call("gif", || gif(&c, &[prefix.to_string()], name, &m))
        },
    );
    let c = ctx.clone();
    def(
        e,
        "gif",
        "gif(prefix, name) -> string\ngif at 5 frames per second.",
        move |prefix: &str, name: &str| {
            call("gif", || gif(&c, &[prefix.to_string()], name, &Map::new()))
        },
    );
    let c = ctx.clone();
    def(
        e,
        "gif",
        "gif([prefix, ...], name, #{fps, label}) -> string\nSeveral series side by side, e.g. gif([\"plain/step\", \"pacgan/step\"], \"side_by_side\"): frame k shows frame k of each series, left to right (a series with fewer frames holds its last one): plots/<name>.gif.",
        move |prefixes: Array, name: &str, m: Map| {
            call("gif", || gif(&c, &strings(&prefixes, "gif")?, name, &m))
        },
    );
    let c = ctx.clone();
    def(
        e,
        "gif",
        "gif([prefix, ...], name) -> string\nSeries side by side at 5 frames per second.",
        move |prefixes: Array, name: &str| {
            call("gif", || {
                gif(&c, &strings(&prefixes, "gif")?, name, &Map::new())
            })
        },
    );
    let c = ctx.clone();
    def(
        e,
        "interpolate",
        "interpolate(G, z0, z1, steps, name) -> string\nA latent walk: G's samples for `steps` points on the line from z0 to z1 ([1, zdim] or [zdim]), as one strip: samples/<name>.png.",
        move |g: Model, z0: DynTensor, z1: DynTensor, steps: INT, name: &str| {
            call("interpolate", || interpolate(&c, &g, &z0, &z1, steps, name))
        },
    );
}
