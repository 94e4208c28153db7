//! Comparing two sources of samples through features: a generator, a data set or images on
//! each side, a feature extractor (a model's layer, the probe, Inception-v3), and FID, KID
//! and the Inception Score computed from them (what `fid`, `fid_every` and `metrics_every`
//! do in scripts).

use super::features::{FeatureNetHandle, collect};
use super::probe::{Kind as ProbeKind, Probe};
use super::{Features, frechet, inception_score, kid};
use crate::bail;
use crate::data::dataset::Dataset;
use crate::error::Result;
use crate::nn::Mode;
use crate::nn::latent_shape::latent_shape;
use crate::nn::model::Model;
use crate::tensor::DynTensor;
use burn::tensor::Distribution;

/// Where samples come from.
pub enum Samples {
    /// A generator, fed standard-normal latents of this shape (without the batch dim).
    Generator(Model, Vec<usize>),
    Data(Dataset),
    Images(Box<DynTensor>),
}

impl Samples {
    /// A generator's samples, fed standard-normal latents of the shape its first layer wants.
    pub fn generator(model: Model) -> Result<Samples> {
        let shape = latent_shape(&model.state().seq.layers)?;
        Ok(Samples::Generator(model, shape))
    }

    /// Images `[n, ...]` already made.
    pub fn images(t: DynTensor, what: &str) -> Result<Samples> {
        if t.rank() < 2 {
            bail!("{what}: images must be [n, ...], got {:?}", t.shape());
        }
        Ok(Samples::Images(Box::new(t)))
    }

    /// How many samples there are (None: as many as asked).
    pub fn count(&self) -> Option<usize> {
        match self {
            Samples::Generator(..) => None,
            Samples::Data(d) => Some(d.len()),
            Samples::Images(t) => Some(t.shape()[0]),
        }
    }

    pub fn batch(&self, start: usize, len: usize) -> Result<DynTensor> {
        match self {
            Samples::Generator(m, shape) => {
                let mut dims = vec![len];
                dims.extend(shape);
                m.sample(DynTensor::random(&dims, Distribution::Normal(0.0, 1.0))?)
            }
            Samples::Data(d) => {
                let [c, h, w] = d.shape();
                let mut v = Vec::with_capacity(len * c * h * w);
                for i in start..start + len {
                    v.extend(d.get(i)?);
                }
                DynTensor::from_vec(v, &[len, c, h, w])
            }
            Samples::Images(t) => (**t).clone().narrow(0, start, len),
        }
    }
}

/// A feature extractor: a model's output, or the output of its layer `index` (negative
/// counts from the end: -1 is the model's output), in evaluation mode without gradients.
/// Or a fixed feature network (the probe, Inception-v3).
pub enum Extractor {
    Layers {
        model: Model,
        /// Layers to run: `0..upto`.
        upto: usize,
    },
    Net(FeatureNetHandle),
}

impl Extractor {
    /// The output of `model`'s layer `index` (negative counts from the end: -1 is the
    /// model's output).
    pub fn layers(model: Model, index: i64) -> Result<Extractor> {
        let layers = model.state().seq.layers.len() as i64;
        let k = if index < 0 { index + layers } else { index };
        if k < 0 || k >= layers {
            bail!("features: layer {index} is out of range for a model of {layers} layers");
        }
        Ok(Extractor::Layers {
            model,
            upto: k as usize + 1,
        })
    }

    pub fn run(&self, x: DynTensor) -> Result<DynTensor> {
        match self {
            Extractor::Layers { model, upto } => {
                let mut s = model.state();
                let mut x = x.detach();
                for layer in &mut s.seq.layers[..*upto] {
                    x = layer.forward(x, Mode { training: false })?.detach();
                }
                Ok(x)
            }
            Extractor::Net(net) => Ok(net.0.features(x.detach())?.detach()),
        }
    }
}

/// What a feature-based measure compares: both sides, the extractor, samples per side and
/// batch size.
pub struct Comparison {
    pub a: Samples,
    pub b: Samples,
    pub ex: Extractor,
    pub n: usize,
    pub batch: usize,
}

/// The feature extractor when the options name none: the probe of built-in data on either
/// side.
pub fn default_extractor(a: &Samples, b: &Samples, what: &str) -> Result<Extractor> {
    let builtin = [a, b].into_iter().find_map(|s| match s {
        Samples::Data(d) => d.builtin(),
        _ => None,
    });
    match builtin {
        Some(kind) => {
            let probe = Probe::default_for(ProbeKind::parse(kind)?)?;
            Ok(Extractor::Net(FeatureNetHandle(probe)))
        }
        None => bail!(
            "{what} needs #{{features: model}} (a feature model, [model, layer index], or a FeatureNet like probe(\"faces\")); only built-in digits or faces data sets use the probe by default"
        ),
    }
}

impl Comparison {
    /// `n` samples of each side (None: all of the smaller finite side, at most 10,000),
    /// through `ex` (None: the probe of built-in data on either side), `batch` at a time.
    pub fn new(
        a: Samples,
        b: Samples,
        ex: Option<Extractor>,
        n: Option<usize>,
        batch: usize,
        what: &str,
    ) -> Result<Comparison> {
        let ex = match ex {
            Some(ex) => ex,
            None => default_extractor(&a, &b, what)?,
        };
        let finite = [a.count(), b.count()].into_iter().flatten().min();
        let n = n.unwrap_or(finite.unwrap_or(10_000).min(10_000));
        if let Some(have) = finite.filter(|&have| have < n) {
            bail!("{what}: n = {n} but one side has only {have} samples");
        }
        Ok(Comparison { a, b, ex, n, batch })
    }

    /// The features of both sides.
    pub fn features(&self) -> Result<(Features, Features)> {
        Ok((self.features_of(&self.a)?, self.features_of(&self.b)?))
    }

    /// The features of `n` samples of one side.
    fn features_of(&self, side: &Samples) -> Result<Features> {
        collect(
            self.n,
            self.batch,
            |i, l| side.batch(i, l),
            |x| self.ex.run(x),
        )
    }

    /// FID and KID (where asked) and the Inception Score of side a (`is`: Some(true) asks
    /// for it, None takes it when the extractor gives class probabilities), as (name, value)
    /// in that order.
    pub fn scores(
        &self,
        fid: bool,
        kid: bool,
        is: Option<bool>,
        what: &str,
    ) -> Result<Vec<(String, f64)>> {
        let net = match &self.ex {
            Extractor::Net(net) => Some(net.clone()),
            Extractor::Layers { .. } => None,
        };
        let want_is = match is {
            Some(true) if net.is_none() => bail!(
                "inception_score: true needs a FeatureNet with class probabilities as features (the probe, inception)"
            ),
            Some(wanted) => wanted,
            None => net.is_some(),
        };
        // Probabilities of the same images as a's features, when IS is wanted.
        let mut probs: Vec<f32> = Vec::new();
        let mut classes = 0;
        let fa = collect(
            self.n,
            self.batch,
            |i, l| self.a.batch(i, l),
            |x| {
                if let (true, Some(net)) = (want_is, &net)
                    && let Some(p) = net.0.probabilities(x.clone().detach())?
                {
                    classes = p.shape().get(1).copied().unwrap_or(0);
                    probs.extend(p.to_vec());
                }
                self.ex.run(x)
            },
        )?;
        let fb = self.features_of(&self.b)?;
        let mut row = Vec::new();
        if fid {
            row.push(("fid".to_string(), frechet::frechet_distance(&fa, &fb)?));
        }
        if kid {
            row.push(("kid".to_string(), kid::kid(&fa, &fb, 100, 1000, 0)?.mean));
        }
        if want_is && classes > 0 {
            let score = inception_score::inception_score(&probs, self.n, classes, 10)?;
            row.push(("is".to_string(), score.mean));
        }
        if row.is_empty() {
            bail!("{what}: nothing to measure (fid, kid and is are all off)");
        }
        Ok(row)
    }
}
