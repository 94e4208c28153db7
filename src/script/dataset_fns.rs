//! The `Dataset` methods: size and shape, single images, shuffled batches, labels and
//! attributes, views (split, subset) and a preview grid in the run folder.

use super::convert::{ScriptResult, call, count};
use super::data_fns::tensor;
use super::def;
use crate::data::dataset::Dataset;
use crate::error::Result;
use crate::state::RunState;
use crate::tensor::DynTensor;
use crate::viz::grid::{GridOptions, render};
use crate::{bail, err};
use rhai::{Array, Dynamic, Engine, FLOAT, INT, Map};
use std::sync::Arc;

/// A batch as a script tensor [n, C, H, W].
fn batch_x(ds: &Dataset, n: INT) -> Result<(DynTensor, Vec<f32>)> {
    let n = usize::try_from(n).map_err(|_| err!("n must be at least 1, got {n}"))?;
    let [c, h, w] = ds.shape();
    crate::memory_limit::check(&[n.max(1), c, h, w])?;
    let b = ds.batch(n)?;
    Ok((tensor(b.x, &[n, c, h, w])?, b.y))
}

fn index(ds: &Dataset, i: INT) -> Result<usize> {
    let len = ds.len() as INT;
    let k = if i < 0 { i + len } else { i };
    if k < 0 || k >= len {
        bail!("index {i} is out of range for a data set of {len} images");
    }
    Ok(k as usize)
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    type R<T> = ScriptResult<T>;
    def(
        e,
        "len",
        "Dataset.len() -> int\nThe number of images.",
        |ds: &mut Dataset| ds.len() as INT,
    );
    def(
        e,
        "shape",
        "Dataset.shape() -> [C, H, W]",
        |ds: &mut Dataset| -> Array {
            ds.shape()
                .iter()
                .map(|&d| Dynamic::from(d as INT))
                .collect()
        },
    );
    def(
        e,
        "get",
        "Dataset.get(i) -> Tensor\nImage i as [C, H, W] (negative i counts from the end).",
        |ds: &mut Dataset, i: INT| -> R<DynTensor> {
            call("get", || {
                let [c, h, w] = ds.shape();
                tensor(ds.get(index(ds, i)?)?, &[c, h, w])
            })
        },
    );
    def(
        e,
        "batch",
        "Dataset.batch(n) -> Tensor\nThe next n images [n, C, H, W] of a shuffled order that wraps around epochs (prepared in the background).",
        |ds: &mut Dataset, n: INT| -> R<DynTensor> { call("batch", || Ok(batch_x(ds, n)?.0)) },
    );
    def(
        e,
        "batch_labeled",
        "Dataset.batch_labeled(n) -> #{x, y}\nLike batch(n), with y the class indices [n].",
        |ds: &mut Dataset, n: INT| -> R<Map> {
            call("batch_labeled", || {
                if ds.classes().is_empty() {
                    bail!("{} has no labels", ds.describe());
                }
                let (x, y) = batch_x(ds, n)?;
                let len = y.len();
                let mut m = Map::new();
                m.insert("x".into(), Dynamic::from(x));
                m.insert("y".into(), Dynamic::from(tensor(y, &[len])?));
                Ok(m)
            })
        },
    );
    def(
        e,
        "labels",
        "Dataset.labels() -> Tensor\nEvery image's class index [len].",
        |ds: &mut Dataset| -> R<DynTensor> {
            call("labels", || {
                let l = ds
                    .labels()
                    .ok_or_else(|| err!("{} has no labels", ds.describe()))?;
                let n = l.len();
                tensor(l, &[n])
            })
        },
    );
    def(
        e,
        "classes",
        "Dataset.classes() -> [string]\nClass names, index = label (empty when unlabelled).",
        |ds: &mut Dataset| -> Array { ds.classes().into_iter().map(Dynamic::from).collect() },
    );
    def(
        e,
        "attributes",
        "Dataset.attributes() -> #{names, values}\nThe attribute vector of every image (faces): names [A] and values [len, A].",
        |ds: &mut Dataset| -> R<Map> {
            call("attributes", || {
                let (names, v) = ds
                    .attributes()
                    .ok_or_else(|| err!("{} has no attributes", ds.describe()))?;
                let mut m = Map::new();
                let a = names.len();
                m.insert(
                    "names".into(),
                    Dynamic::from(names.into_iter().map(Dynamic::from).collect::<Array>()),
                );
                m.insert("values".into(), Dynamic::from(tensor(v, &[ds.len(), a])?));
                Ok(m)
            })
        },
    );
    def(
        e,
        "epoch",
        "Dataset.epoch() -> int\nFull passes made by batch() so far.",
        |ds: &mut Dataset| ds.epoch() as INT,
    );
    def(
        e,
        "split",
        "Dataset.split(frac) -> [a, b]\nTwo disjoint data sets: a random share frac of the images and the rest.",
        |ds: &mut Dataset, frac: FLOAT| -> R<Array> {
            call("split", || {
                let (a, b) = ds.split(frac)?;
                Ok(vec![Dynamic::from(a), Dynamic::from(b)])
            })
        },
    );
    def(
        e,
        "subset",
        "Dataset.subset(n) -> Dataset\nn images chosen at random (seeded).",
        |ds: &mut Dataset, n: INT| -> R<Dataset> {
            call("subset", || ds.subset(count(&Dynamic::from(n), "n")?))
        },
    );
    for (doc, with_n) in [
        (
            "Dataset.preview(name) -> string\nSaves a grid of 64 real images as NAME.png in the run folder; returns its path.",
            false,
        ),
        (
            "Dataset.preview(name, n) -> string\nLike preview(name) with n images.",
            true,
        ),
    ] {
        let c = ctx.clone();
        let f = move |ds: &mut Dataset, name: &str, n: INT| -> R<String> {
            call("preview", || {
                let n = (n.max(1) as usize).min(ds.len());
                let [ch, h, w] = ds.shape();
                let mut v = Vec::with_capacity(n * ch * h * w);
                for i in 0..n {
                    v.extend(ds.get(i)?);
                }
                let (lo, hi) = ds.output().range;
                let opts = GridOptions {
                    range: (lo as f64, hi as f64),
                    ..Default::default()
                };
                let path = c.out_dir().join(format!("{name}.png"));
                c.save_image(&render(&tensor(v, &[n, ch, h, w])?, &opts)?, &path)?;
                Ok(path.display().to_string())
            })
        };
        if with_n {
            def(e, "preview", doc, f);
        } else {
            def(e, "preview", doc, move |ds: &mut Dataset, name: &str| {
                f(ds, name, 64)
            });
        }
    }
    def(
        e,
        "to_string",
        "Dataset.to_string() -> string",
        |ds: &mut Dataset| format!("Dataset({})", ds.describe()),
    );
    def(
        e,
        "to_debug",
        "Dataset.to_debug() -> string",
        |ds: &mut Dataset| format!("Dataset({})", ds.describe()),
    );
}
