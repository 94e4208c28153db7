//! What a probe predicts: one head per target, each a block of the network's output logits.
//!
//! Digits have one head (the digit, 10 classes). Faces have one head per scored attribute of
//! [`NAMES`]: hair style and colour are classes; mouth open, glasses and beard are binary
//! (one logit, sigmoid); every continuous attribute is cut into three equal-width bins over
//! its range (low / middle / high), so "the probe reads it back" means "it finds the right
//! third". Two attributes are not scored: `identity` (a label of the data set, not a trait
//! one can see) and `background` (only the emoji and webtoon styles draw it).

use crate::bail;
use crate::data::faces::attributes::{HAIR, HAIR_STYLES, NAMES};
use crate::error::Result;
use crate::nn::loss::{self, Labels, Target};
use crate::tensor::DynTensor;

/// How a head turns its target into a class.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Rule {
    /// A class index 0..k (softmax over k logits).
    Classes(usize),
    /// 0 or 1 (one logit, sigmoid): the value is true above 0.5.
    Binary,
    /// k equal-width bins over [lo, hi] (softmax over k logits); values outside are clamped.
    Bins { lo: f32, hi: f32, k: usize },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Head {
    pub name: &'static str,
    /// The column of the target in the attribute vector (faces), or 0 (digits: the label).
    pub column: usize,
    pub rule: Rule,
}

impl Head {
    /// Logits this head takes from the network's output.
    pub fn width(&self) -> usize {
        match self.rule {
            Rule::Classes(k) | Rule::Bins { k, .. } => k,
            Rule::Binary => 1,
        }
    }

    /// Classes this head distinguishes.
    pub fn classes(&self) -> usize {
        match self.rule {
            Rule::Classes(k) | Rule::Bins { k, .. } => k,
            Rule::Binary => 2,
        }
    }

    /// The class of a target value.
    pub fn class_of(&self, v: f32) -> usize {
        match self.rule {
            Rule::Classes(k) => (v.round().max(0.0) as usize).min(k - 1),
            Rule::Binary => usize::from(v > 0.5),
            Rule::Bins { lo, hi, k } => {
                let t = ((v - lo) / (hi - lo) * k as f32).floor();
                (t.max(0.0) as usize).min(k - 1)
            }
        }
    }

    /// The predicted class from this head's logits.
    pub fn predict(&self, logits: &[f32]) -> usize {
        match self.rule {
            Rule::Binary => usize::from(logits[0] > 0.0),
            _ => argmax(logits),
        }
    }
}

fn argmax(v: &[f32]) -> usize {
    let mut best = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[best] {
            best = i;
        }
    }
    best
}

/// The digits probe's one head.
pub fn digits() -> Vec<Head> {
    vec![Head {
        name: "digit",
        column: 0,
        rule: Rule::Classes(10),
    }]
}

/// The faces probe's heads, in the order of [`NAMES`] (identity and background left out).
pub fn faces() -> Vec<Head> {
    let thirds = |lo, hi| Rule::Bins { lo, hi, k: 3 };
    NAMES
        .iter()
        .enumerate()
        .filter_map(|(column, &name)| {
            let rule = match name {
                "identity" | "background" => return None,
                "hair_style" => Rule::Classes(HAIR_STYLES),
                "hair_color" => Rule::Classes(HAIR.len()),
                "mouth_open" | "glasses" | "beard" => Rule::Binary,
                "brow_angle" | "expression" => thirds(-1.0, 1.0),
                "tilt" => thirds(-0.18, 0.18),
                _ => thirds(0.0, 1.0),
            };
            Some(Head { name, column, rule })
        })
        .collect()
}

/// Total logits of a list of heads.
pub fn width(heads: &[Head]) -> usize {
    heads.iter().map(Head::width).sum()
}

/// Classes `[n][heads]` of targets given as rows of `cols` values.
pub fn classes_of(heads: &[Head], targets: &[f32], cols: usize) -> Vec<Vec<usize>> {
    targets
        .chunks(cols)
        .map(|row| heads.iter().map(|h| h.class_of(row[h.column])).collect())
        .collect()
}

/// Predicted classes `[n][heads]` from logits `[n, width]` (row-major).
pub fn predict(heads: &[Head], logits: &[f32]) -> Vec<Vec<usize>> {
    let w = width(heads);
    logits
        .chunks(w)
        .map(|row| {
            let mut at = 0;
            heads
                .iter()
                .map(|h| {
                    let c = h.predict(&row[at..at + h.width()]);
                    at += h.width();
                    c
                })
                .collect()
        })
        .collect()
}

/// The training loss: the mean over heads of cross-entropy (class heads) or binary
/// cross-entropy on logits (binary heads). `logits` [n, width], `classes` [n][heads].
pub fn loss(heads: &[Head], logits: &DynTensor, classes: &[Vec<usize>]) -> Result<DynTensor> {
    let n = classes.len();
    if logits.shape() != [n, width(heads)] {
        bail!(
            "probe loss: logits {:?} for {n} targets of {} heads",
            logits.shape(),
            heads.len()
        );
    }
    let mut total: Option<DynTensor> = None;
    let mut at = 0;
    for (j, h) in heads.iter().enumerate() {
        let block = logits.clone().narrow(1, at, h.width())?;
        at += h.width();
        let target: Vec<f32> = classes.iter().map(|c| c[j] as f32).collect();
        let t = DynTensor::from_vec(target, &[n])?;
        let l = match h.rule {
            Rule::Binary => loss::bce_logits(&block, &Target::Tensor(t))?,
            _ => loss::cross_entropy(&block, &Labels::PerRow(t))?,
        };
        total = Some(match total {
            None => l,
            Some(s) => s.binary(l, crate::tensor::BinOp::Add)?,
        });
    }
    match total {
        Some(t) => Ok(t.mul_scalar(1.0 / heads.len() as f64)),
        None => bail!("probe loss: no heads"),
    }
}

/// Per head: the share of rows whose predicted class equals the true one.
pub fn accuracy(predicted: &[Vec<usize>], truth: &[Vec<usize>], heads: usize) -> Vec<f64> {
    let n = truth.len().max(1) as f64;
    (0..heads)
        .map(|j| {
            let hits = predicted
                .iter()
                .zip(truth)
                .filter(|(p, t)| p[j] == t[j])
                .count();
            hits as f64 / n
        })
        .collect()
}

/// Per head: the share of the most frequent true class (what always guessing it scores).
pub fn majority(truth: &[Vec<usize>], heads: &[Head]) -> Vec<f64> {
    let n = truth.len().max(1) as f64;
    heads
        .iter()
        .enumerate()
        .map(|(j, h)| {
            let mut counts = vec![0usize; h.classes()];
            for t in truth {
                counts[t[j]] += 1;
            }
            *counts.iter().max().unwrap_or(&0) as f64 / n
        })
        .collect()
}
