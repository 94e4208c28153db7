//! Training a probe: the built-in data it learns from (drawn with the probe's own seed, so
//! the default data sets, seed 0, stay held out), the loop, and the held-out check.

use super::heads::{self, Head};
use super::net::{self, Arch, Values};
use super::{Config, Kind, StyleScore};
use crate::data::digits::{self, Digits};
use crate::data::faces::{self, Faces};
use crate::data::source::Source;
use crate::error::Result;
use crate::nn::optim::{Algorithm, Optimizer};
use crate::nn::{Mode, Sequential};
use crate::tensor::DynTensor;
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

/// Images of every style, quantised to bytes, with each image's target classes.
pub struct Set {
    /// [n, c, s, s] as u8 (0..255 for [0, 1]).
    pub pixels: Vec<u8>,
    /// [n][heads]
    pub classes: Vec<Vec<usize>>,
    /// Style index of each image (into [`Kind::styles`]).
    pub style: Vec<usize>,
    /// Values of one image.
    pub stride: usize,
}

/// The source of style `style` with `n` images.
fn source(cfg: &Config, style: usize, n: usize) -> Box<dyn Source> {
    let (size, seed) = (cfg.size, cfg.seed);
    match cfg.kind {
        Kind::Digits => Box::new(Digits {
            style: [digits::Style::Handwritten, digits::Style::Street][style],
            size,
            channels: 1,
            n,
            seed,
        }),
        Kind::Faces => Box::new(Faces {
            style: faces::Style::ALL[style],
            size,
            channels: 3,
            n,
            seed,
            identities: 0,
        }),
    }
}

/// Images `start..start + count` of every style, drawn on all cores (each image comes from
/// its own generator, so the result does not depend on the threads).
pub fn generate(cfg: &Config, heads: &[Head], start: usize, count: usize) -> Result<Set> {
    let styles = cfg.kind.styles().len();
    let sources: Vec<_> = (0..styles).map(|s| source(cfg, s, start + count)).collect();
    let items: Vec<(usize, usize)> = (0..styles)
        .flat_map(|s| (start..start + count).map(move |i| (s, i)))
        .collect();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = items.len().div_ceil(threads).max(1);
    let draw = |&(s, i): &(usize, usize)| -> Result<(Vec<u8>, Vec<usize>)> {
        let src = &sources[s];
        let px = src.image(i)?;
        let target = match cfg.kind {
            Kind::Digits => vec![src.label(i).unwrap_or(0) as f32],
            Kind::Faces => src.attributes(i).unwrap_or_default(),
        };
        let classes = heads::classes_of(heads, &target, target.len().max(1));
        let bytes = px.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as u8);
        Ok((
            bytes.collect(),
            classes.into_iter().next().unwrap_or_default(),
        ))
    };
    let parts: Vec<Result<Vec<_>>> = std::thread::scope(|sc| {
        let handles: Vec<_> = items
            .chunks(chunk)
            .map(|part| sc.spawn(move || part.iter().map(draw).collect::<Result<Vec<_>>>()))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(crate::err!("probe data: a thread panicked")))
            })
            .collect()
    });
    let [c, h, w] = sources[0].shape();
    let mut set = Set {
        pixels: Vec::with_capacity(items.len() * c * h * w),
        classes: Vec::with_capacity(items.len()),
        style: items.iter().map(|&(s, _)| s).collect(),
        stride: c * h * w,
    };
    for part in parts {
        for (px, cl) in part? {
            set.pixels.extend(px);
            set.classes.push(cl);
        }
    }
    Ok(set)
}

impl Set {
    pub fn len(&self) -> usize {
        self.classes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.classes.is_empty()
    }

    /// Images `idx` as a tensor [len, c, s, s] in [-1, 1].
    pub fn images(&self, idx: &[usize], arch: &Arch) -> Result<DynTensor> {
        let mut v = Vec::with_capacity(idx.len() * self.stride);
        for &i in idx {
            let px = &self.pixels[i * self.stride..(i + 1) * self.stride];
            v.extend(px.iter().map(|&b| b as f32 / 127.5 - 1.0));
        }
        DynTensor::from_vec(v, &[idx.len(), arch.channels, arch.size, arch.size])
    }
}

/// Trains a network on `set`: Adam with a cosine-decaying learning rate, shuffled epochs
/// from the probe's generator. Returns the trained parameters.
pub fn fit(cfg: &Config, arch: &Arch, heads: &[Head], set: &Set) -> Result<Vec<Vec<f32>>> {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let mut model: Sequential = net::build(arch, Values::Init(&mut rng), true)?;
    let mut opt = Optimizer::new(Algorithm::adam(), cfg.lr)?;
    let mut order: Vec<usize> = (0..set.len()).collect();
    let mut at = order.len();
    let train = Mode { training: true };
    for step in 0..cfg.steps {
        let mut idx = Vec::with_capacity(cfg.batch);
        while idx.len() < cfg.batch {
            if at == order.len() {
                order.shuffle(&mut rng);
                at = 0;
            }
            idx.push(order[at]);
            at += 1;
        }
        let x = set.images(&idx, arch)?;
        let classes: Vec<Vec<usize>> = idx.iter().map(|&i| set.classes[i].clone()).collect();
        let logits = model.forward(x, train)?;
        let loss = heads::loss(heads, &logits, &classes)?;
        let t = step as f64 / cfg.steps as f64;
        opt.lr = cfg.lr * 0.5 * (1.0 + (std::f64::consts::PI * t).cos());
        opt.step(&mut [&mut model], &loss)?;
    }
    Ok(net::values(&model))
}

/// Per style: the accuracy of each head on `set` and the majority-class share.
pub fn score(cfg: &Config, heads: &[Head], set: &Set, predicted: &[Vec<usize>]) -> Vec<StyleScore> {
    cfg.kind
        .styles()
        .iter()
        .enumerate()
        .map(|(s, name)| {
            let rows: Vec<usize> = (0..set.len()).filter(|&i| set.style[i] == s).collect();
            let truth: Vec<Vec<usize>> = rows.iter().map(|&i| set.classes[i].clone()).collect();
            let pred: Vec<Vec<usize>> = rows.iter().map(|&i| predicted[i].clone()).collect();
            StyleScore {
                style: name.to_string(),
                accuracy: heads::accuracy(&pred, &truth, heads.len()),
                chance: heads::majority(&truth, heads),
            }
        })
        .collect()
}
