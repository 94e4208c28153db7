//! The built-in probe in scripts: `probe(kind)` as a FeatureNet, its features and class
//! probabilities, and how much of a face's attributes or a digit's class generated images
//! keep (`attribute_accuracy`, `digit_accuracy`).

use super::convert::{Options, call};
use super::def;
use crate::data::faces::attributes::NAMES;
use crate::error::Result;
use crate::metrics::features::FeatureNetHandle;
use crate::metrics::probe::{Config, Kind, Probe, heads};
use crate::state::RunState;
use crate::tensor::DynTensor;
use crate::{bail, err};
use rhai::{Array, Dynamic, Engine, FLOAT, Map};
use std::sync::Arc;

/// The probe recipe of `kind` with the options #{size, steps, n} of `what` applied.
fn recipe(kind: Kind, m: &Map, what: &str) -> Result<Config> {
    let o = Options::new(m, what, &["size", "steps", "n"])?;
    let mut cfg = Config::new(kind);
    cfg.size = o.usize("size", cfg.size)?;
    cfg.steps = o.usize("steps", cfg.steps)?;
    cfg.train = o.usize("n", cfg.train)?;
    Ok(cfg)
}

fn probe(kind: &str, m: &Map) -> Result<FeatureNetHandle> {
    let cfg = recipe(Kind::parse(kind)?, m, "probe")?;
    Ok(FeatureNetHandle(Probe::get(&cfg)?))
}

/// Images [n, 1 or 3, h, w].
fn images(t: &DynTensor, what: &str) -> Result<usize> {
    let shape = t.shape();
    match shape.as_slice() {
        &[n, 1 | 3, h, w] if n > 0 && h > 0 && w > 0 => Ok(n),
        _ => bail!("{what}: images must be [n, 1 or 3, height, width], got {shape:?}"),
    }
}

/// The attribute values [n, 20] from a tensor or a `Dataset.attributes()` map.
fn attribute_values(v: &Dynamic) -> Result<DynTensor> {
    if let Some(t) = v.clone().try_cast::<DynTensor>() {
        return Ok(t);
    }
    let Some(m) = v.clone().try_cast::<Map>() else {
        bail!(
            "attributes must be a Tensor [n, {}] or the map of Dataset.attributes(), got {}",
            NAMES.len(),
            v.type_name()
        );
    };
    if let Some(names) = m.get("names").and_then(|n| n.clone().try_cast::<Array>()) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        if names != NAMES {
            bail!("attributes: names {names:?} are not the faces attributes {NAMES:?}");
        }
    }
    m.get("values")
        .and_then(|t| t.clone().try_cast::<DynTensor>())
        .ok_or_else(|| err!("attributes: the map has no Tensor 'values'"))
}

fn attribute_accuracy(imgs: &DynTensor, attrs: &Dynamic, m: &Map) -> Result<Map> {
    let n = images(imgs, "images")?;
    let values = attribute_values(attrs)?;
    let cols = NAMES.len();
    if values.shape() != [n, cols] {
        bail!(
            "attributes must be [{n}, {cols}] for {n} images (the columns of Dataset.attributes()), got {:?}",
            values.shape()
        );
    }
    let probe = Probe::get(&recipe(Kind::Faces, m, "attribute_accuracy")?)?;
    let truth = heads::classes_of(&probe.heads, &values.to_vec(), cols);
    let predicted = probe.classes(imgs.clone())?;
    let acc = heads::accuracy(&predicted, &truth, probe.heads.len());
    let chance = heads::majority(&truth, &probe.heads);
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let mut per = Map::new();
    for (h, a) in probe.heads.iter().zip(&acc) {
        per.insert(h.name.into(), Dynamic::from(*a));
    }
    let mut out = Map::new();
    out.insert("accuracy".into(), Dynamic::from(mean(&acc)));
    out.insert("chance".into(), Dynamic::from(mean(&chance)));
    out.insert("per_attribute".into(), Dynamic::from(per));
    Ok(out)
}

fn digit_accuracy(imgs: &DynTensor, labels: &DynTensor) -> Result<FLOAT> {
    let n = images(imgs, "images")?;
    if labels.numel() != n || labels.rank() > 2 {
        bail!(
            "labels must be [{n}] (one digit per image), got {:?}",
            labels.shape()
        );
    }
    let labels = labels.to_vec();
    if let Some(bad) = labels
        .iter()
        .find(|&&l| !(0.0..=9.0).contains(&l) || l.fract() != 0.0)
    {
        bail!("labels must be digits 0..9, got {bad}");
    }
    let probe = Probe::default_for(Kind::Digits)?;
    let predicted = probe.classes(imgs.clone())?;
    let hits = predicted
        .iter()
        .zip(&labels)
        .filter(|(p, l)| p[0] == **l as usize)
        .count();
    Ok(hits as FLOAT / n as FLOAT)
}

pub fn register(e: &mut Engine, _ctx: &Arc<RunState>) {
    def(
        e,
        "probe",
        "probe(kind) -> FeatureNet\nThe built-in probe for \"digits\" or \"faces\": a small conv classifier trained once on the built-in data (digits: handwritten and street; faces: every attribute, webtoon, emoji and photo mixed), cached on disk; its 128 features serve fid, kid and precision_recall.",
        |kind: &str| call("probe", || probe(kind, &Map::new())),
    );
    def(
        e,
        "probe",
        "probe(kind, #{size, steps, n}) -> FeatureNet\nA probe of another recipe: image size (default 32), training steps (digits 200, faces 3000) and training images per style n (digits 4000, faces 8000); each recipe trains once and is cached.",
        |kind: &str, m: Map| call("probe", || probe(kind, &m)),
    );
    def(
        e,
        "features",
        "FeatureNet.features(images) -> Tensor\nFeature vectors [n, d] of images [n, 1 or 3, h, w] in [-1, 1] (any size: resampled to the network's).",
        |net: &mut FeatureNetHandle, x: DynTensor| {
            call("features", || {
                images(&x, "images")?;
                net.0.features(x)
            })
        },
    );
    def(
        e,
        "probabilities",
        "FeatureNet.probabilities(images) -> Tensor\nClass probabilities [n, classes] for inception_score: the digits probe's 10 digits; the faces probe's 30 joint hair style x hair colour classes (the product of its two heads).",
        |net: &mut FeatureNetHandle, x: DynTensor| {
            call("probabilities", || {
                images(&x, "images")?;
                net.0
                    .probabilities(x)?
                    .ok_or_else(|| err!("{} gives no class probabilities", net.0.name()))
            })
        },
    );
    def(
        e,
        "attribute_accuracy",
        "attribute_accuracy(images, attributes) -> #{accuracy, chance, per_attribute}\nHow many face attributes the faces probe reads back from images [n, c, h, w] given their attributes [n, 20] (Dataset.attributes() or its values): per attribute the share read right (continuous ones to the right third of their range), averaged over the 18 scored (identity and background are not); chance: the same mean for always guessing each attribute's most frequent class.",
        |x: DynTensor, a: Dynamic| {
            call("attribute_accuracy", || {
                attribute_accuracy(&x, &a, &Map::new())
            })
        },
    );
    def(
        e,
        "attribute_accuracy",
        "attribute_accuracy(images, attributes, #{size, steps, n}) -> #{accuracy, chance, per_attribute}\nattribute_accuracy(images, attributes) read by the faces probe of another recipe (as probe(\"faces\", #{size, steps, n})), e.g. one trained on 64x64 images; with the default steps that one reads less than the 32x32 probe (docs/probe.md).",
        |x: DynTensor, a: Dynamic, m: Map| {
            call("attribute_accuracy", || attribute_accuracy(&x, &a, &m))
        },
    );
    def(
        e,
        "digit_accuracy",
        "digit_accuracy(images, labels) -> float\nThe share of images [n, c, h, w] the digits probe reads as their label [n] (0..9).",
        |x: DynTensor, l: DynTensor| call("digit_accuracy", || digit_accuracy(&x, &l)),
    );
}
