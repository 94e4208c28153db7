//! Data sets for scripts: `digits`, `faces`, `image_folder`, `mnist`, `dataset` make a
//! `Dataset` (its methods are in `dataset_fns`); `npy` / `save_npy` move tensors through
//! `.npy` files.

use super::convert::{Options, call, count};
use super::def;
use crate::data::dataset::{Dataset, Output};
use crate::data::digits::{self, Digits};
use crate::data::faces::{self, Faces};
use crate::data::image_folder::{FolderOptions, ImageFolder};
use crate::data::memory::Memory;
use crate::data::{idx, npy};
use crate::error::Result;
use crate::state::RunState;
use crate::tensor::DynTensor;
use crate::{bail, err};
use rhai::{Array, Engine, Map};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const OUTPUT_KEYS: &[&str] = &["range", "flip", "seed"];

fn keys(own: &[&'static str]) -> Vec<&'static str> {
    own.iter().chain(OUTPUT_KEYS).copied().collect()
}

/// `range` ([-1, 1] or [0, 1]), `flip`, `seed`.
fn output(o: &Options) -> Result<(Output, u64)> {
    let (lo, hi) = o.pair("range", (-1.0, 1.0))?;
    if lo >= hi {
        bail!("range must be [low, high] with low < high, got [{lo}, {hi}]");
    }
    let out = Output {
        range: (lo as f32, hi as f32),
        flip: o.bool("flip", false)?,
    };
    Ok((out, o.usize("seed", 0)? as u64))
}

fn size(o: &Options, default: usize) -> Result<usize> {
    let s = o.usize("size", default)?;
    if !(28..=152).contains(&s) {
        bail!("size must be from 28 to 152, got {s}");
    }
    Ok(s)
}

fn channels(o: &Options, default: usize) -> Result<usize> {
    match o.usize("channels", default)? {
        c @ (1 | 3) => Ok(c),
        c => bail!("channels must be 1 or 3, got {c}"),
    }
}

pub(super) fn tensor(values: Vec<f32>, shape: &[usize]) -> Result<DynTensor> {
    DynTensor::from_vec(values, shape)
}

fn digits_fn(opts: &Map) -> Result<Dataset> {
    let o = Options::new(opts, "digits", &keys(&["style", "size", "n", "channels"]))?;
    let style = digits::Style::parse(&o.str("style", "handwritten")?)?;
    let street = style == digits::Style::Street;
    let src = Digits {
        style,
        size: size(&o, if street { 32 } else { 28 })?,
        channels: channels(&o, if street { 3 } else { 1 })?,
        n: o.usize("n", 10_000)?,
        seed: o.usize("seed", 0)? as u64,
    };
    let (out, seed) = output(&o)?;
    Dataset::new(Arc::new(src), out, seed)
}

fn faces_fn(opts: &Map) -> Result<Dataset> {
    let o = Options::new(
        opts,
        "faces",
        &keys(&["style", "size", "n", "channels", "identities"]),
    )?;
    let src = Faces {
        style: faces::Style::parse(&o.str("style", "photo")?)?,
        size: size(&o, 32)?,
        channels: channels(&o, 3)?,
        n: o.usize("n", 10_000)?,
        seed: o.usize("seed", 0)? as u64,
        identities: o.usize("identities", 100)?,
    };
    let (out, seed) = output(&o)?;
    Dataset::new(Arc::new(src), out, seed)
}

fn image_folder_fn(ctx: &RunState, path: &str, opts: &Map) -> Result<Dataset> {
    let known = keys(&[
        "size",
        "crop",
        "center_crop",
        "grayscale",
        "recursive",
        "labels",
        "cache",
    ]);
    let o = Options::new(opts, "image_folder", &known)?;
    let crop = match o.get("crop") {
        None => None,
        Some(v) => {
            let a = v.clone().try_cast::<Array>().filter(|a| a.len() == 4);
            let a = a.ok_or_else(|| err!("crop must be [x, y, width, height]"))?;
            let v: Vec<usize> = a.iter().map(|d| count(d, "crop")).collect::<Result<_>>()?;
            Some([v[0], v[1], v[2], v[3]])
        }
    };
    let center_crop = match o.get("center_crop") {
        None => None,
        Some(v) if v.is_bool() => v.as_bool().unwrap().then_some(0),
        Some(v) => Some(count(v, "center_crop")?),
    };
    let labels = o.str("labels", "none")?;
    if labels != "none" && labels != "subdirs" {
        bail!("labels must be \"subdirs\" (class = sub-folder name) or \"none\", got \"{labels}\"");
    }
    let fo = FolderOptions {
        size: o.get("size").map(|v| count(v, "size")).transpose()?,
        crop,
        center_crop,
        grayscale: o.bool("grayscale", false)?,
        recursive: o.bool("recursive", false)?,
        labels_from_subdirs: labels == "subdirs",
        cache: o.bool("cache", true)?,
        cache_dir: None,
    };
    if fo.size == Some(0) {
        bail!("size must be at least 1");
    }
    let root = ctx.sandbox().read(Path::new(path))?;
    if !ctx.sandbox().is_permissive() && root.is_dir() {
        // a symbolic link inside the folder may point outside what the script may read
        for f in crate::data::image_folder::files(&root, &fo)? {
            ctx.sandbox().read(&f)?;
        }
    }
    let folder = ImageFolder::open(&root, &fo)?;
    if let Some(report) = folder.skipped_report() {
        eprintln!("warning: {report}");
    }
    let (out, seed) = output(&o)?;
    Dataset::new(Arc::new(folder), out, seed)
}

fn mnist_fn(ctx: &RunState, path: &str, opts: &Map) -> Result<Dataset> {
    let o = Options::new(opts, "mnist", OUTPUT_KEYS)?;
    let (images, labels) = idx::load_mnist(&ctx.sandbox().read(Path::new(path))?, ctx.sandbox())?;
    let what = format!("mnist {path}");
    let src = Memory::new(
        &what,
        &images.shape,
        images.values,
        255.0,
        labels.map(|l| l.values),
    )?;
    let (out, seed) = output(&o)?;
    Dataset::new(Arc::new(src), out, seed)
}

fn npy_fn(ctx: &RunState, path: &str, opts: &Map) -> Result<DynTensor> {
    let o = Options::new(opts, "npy", &["layout"])?;
    let mut a = npy::read(&ctx.sandbox().read(Path::new(path))?)?;
    match o.str("layout", "nchw")?.as_str() {
        "nchw" | "none" => {}
        "nhwc" => a = npy::nhwc_to_nchw(&a)?,
        l => bail!("layout must be \"nhwc\" (converted to NCHW) or \"nchw\", got \"{l}\""),
    }
    tensor(a.values, &a.shape)
}

fn dataset_fn(x: &DynTensor, opts: &Map) -> Result<Dataset> {
    let o = Options::new(opts, "dataset", &keys(&["labels", "from"]))?;
    let values = x.to_vec();
    // the value range of x: given, or guessed (bytes, tanh range, or unit range)
    let max = values.iter().copied().fold(f32::MIN, f32::max);
    let min = values.iter().copied().fold(f32::MAX, f32::min);
    let guess = if max > 1.0 {
        (0.0, 255.0)
    } else if min < 0.0 {
        (-1.0, 1.0)
    } else {
        (0.0, 1.0)
    };
    let (lo, hi) = o.pair("from", guess)?;
    if lo >= hi {
        bail!("from must be [low, high] with low < high, got [{lo}, {hi}]");
    }
    let values: Vec<f32> = values
        .into_iter()
        .map(|v| ((v as f64 - lo) / (hi - lo)).clamp(0.0, 1.0) as f32)
        .collect();
    let labels = match o.get("labels") {
        None => None,
        Some(v) => Some(
            v.clone()
                .try_cast::<DynTensor>()
                .ok_or_else(|| err!("labels must be a tensor of class indices [n]"))?
                .to_vec(),
        ),
    };
    let src = Memory::new("dataset", &x.shape(), values, 1.0, labels)?;
    let (out, seed) = output(&o)?;
    Dataset::new(Arc::new(src), out, seed)
}

/// A path a script names for writing: relative paths are inside the run folder.
pub(super) fn output_file(ctx: &RunState, path: &str) -> Result<PathBuf> {
    let p = Path::new(path);
    let p = if p.is_absolute() {
        p.to_path_buf()
    } else {
        ctx.out_dir().join(p)
    };
    ctx.sandbox().write(&p)?;
    Ok(p)
}

fn save_npy_fn(ctx: &RunState, t: &DynTensor, path: &str) -> Result<String> {
    let p = output_file(ctx, path)?;
    crate::files::ensure_parent(&p)?;
    npy::write(
        &p,
        &npy::Array {
            shape: t.shape(),
            values: t.to_vec(),
        },
    )?;
    Ok(p.display().to_string())
}

pub fn register(e: &mut Engine, ctx: &Arc<RunState>) {
    e.register_type_with_name::<Dataset>("Dataset");
    super::dataset_fns::register(e, ctx);
    def(
        e,
        "digits",
        "digits(#{style, size, n, channels, seed, range, flip}) -> Dataset\nProcedural digits 0-9 with labels: style \"handwritten\" (MNIST-like, 28x28x1 by default) or \"street\" (SVHN-like, 32x32x3); n 10000, seed 0.",
        |o: Map| call("digits", || digits_fn(&o)),
    );
    def(
        e,
        "faces",
        "faces(#{style, size, n, channels, identities, seed, range, flip}) -> Dataset\nProcedural faces of one attribute vector in style \"webtoon\", \"emoji\" or \"photo\" (default); size 32 (28..152), n 10000, identities 100 (label = identity; 0: all distinct).",
        |o: Map| call("faces", || faces_fn(&o)),
    );
    def(
        e,
        "image_folder",
        "image_folder(path) -> Dataset\nThe images (PNG, JPEG, BMP, GIF, WebP) in a folder; see image_folder(path, options).",
        {
            let c = ctx.clone();
            move |p: &str| call("image_folder", || image_folder_fn(&c, p, &Map::new()))
        },
    );
    def(
        e,
        "image_folder",
        "image_folder(path, #{size, crop, center_crop, grayscale, recursive, labels, cache, range, flip, seed}) -> Dataset\ncrop [x, y, w, h]; center_crop N or true (largest square); size S resizes to SxS; labels \"subdirs\"; unreadable files are skipped and reported; decoded images are cached on disk.",
        {
            let c = ctx.clone();
            move |p: &str, o: Map| call("image_folder", || image_folder_fn(&c, p, &o))
        },
    );
    def(
        e,
        "mnist",
        "mnist(path) -> Dataset\nMNIST IDX files (gzipped or not): a folder with train-images-idx3-ubyte, or the images file itself.",
        {
            let c = ctx.clone();
            move |p: &str| call("mnist", || mnist_fn(&c, p, &Map::new()))
        },
    );
    def(
        e,
        "mnist",
        "mnist(path, #{range, flip, seed}) -> Dataset",
        {
            let c = ctx.clone();
            move |p: &str, o: Map| call("mnist", || mnist_fn(&c, p, &o))
        },
    );
    def(
        e,
        "dataset",
        "dataset(x) -> Dataset\nImages x [n, C, H, W] or [n, H, W] as a data set; see dataset(x, options).",
        |x: DynTensor| call("dataset", || dataset_fn(&x, &Map::new())),
    );
    def(
        e,
        "dataset",
        "dataset(x, #{labels, from, range, flip, seed}) -> Dataset\nlabels: class indices [n]; from: the value range of x (default: [0, 255] if any value > 1, else [-1, 1] if any < 0, else [0, 1]).",
        |x: DynTensor, o: Map| call("dataset", || dataset_fn(&x, &o)),
    );
    def(
        e,
        "npy",
        "npy(path) -> Tensor\nA .npy array (uint8, float32, float64; C order) as a float tensor.",
        {
            let c = ctx.clone();
            move |p: &str| call("npy", || npy_fn(&c, p, &Map::new()))
        },
    );
    def(
        e,
        "npy",
        "npy(path, #{layout}) -> Tensor\nlayout \"nhwc\" converts channels-last images to [N, C, H, W].",
        {
            let c = ctx.clone();
            move |p: &str, o: Map| call("npy", || npy_fn(&c, p, &o))
        },
    );
    def(
        e,
        "save_npy",
        "save_npy(tensor, path) -> string\nWrites the tensor as float32 .npy; a relative path is inside the run folder. Returns the path written.",
        {
            let c = ctx.clone();
            move |t: DynTensor, p: &str| call("save_npy", || save_npy_fn(&c, &t, p))
        },
    );
}
