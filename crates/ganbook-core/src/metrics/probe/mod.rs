//! The built-in probe: a small conv classifier trained once on ganbook's own procedural
//! data (digits: the digit, on handwritten and street styles; faces: the attributes, on
//! webtoon, emoji and photo mixed), cached on disk, and used as the feature network of FID,
//! KID and IS on that data where no Inception weights are at hand, and to read back what a
//! generator kept (`attribute_accuracy`, `digit_accuracy`).
//!
//! Training is deterministic: the network's initialisation, the training images and the
//! batch order come from the probe's own seeded generators, so the same configuration on
//! the same machine gives the same weights bit for bit. It always runs on the CPU, whatever
//! `--device` says, so that a GPU run measures FID with the very network a CPU run uses (and
//! a software GPU driver is not asked to train it); the trained network then reads images on
//! the session's device. The cache key hashes the configuration and [`VERSION`].

pub mod heads;
pub mod input;
pub mod net;
pub mod store;
pub mod train;

use crate::error::Result;
use crate::metrics::features::FeatureNet;
use crate::nn::Sequential;
use crate::tensor::DynTensor;
use crate::{bail, err};
use heads::Head;
use net::{Arch, Values};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Bump when the recipe (data, network, training, heads) changes: old cache files then miss.
pub const VERSION: u32 = 2;

/// Seed of the probe's training images, initialisation and batch order (not 0, so the data
/// sets scripts make by default are held out).
pub const SEED: u64 = 0x5eed_0b5e;

/// Which built-in data a probe reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Digits,
    Faces,
}

impl Kind {
    pub fn parse(s: &str) -> Result<Kind> {
        match s {
            "digits" => Ok(Kind::Digits),
            "faces" => Ok(Kind::Faces),
            _ => bail!("unknown probe '{s}' (probes: digits, faces)"),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Digits => "digits",
            Kind::Faces => "faces",
        }
    }

    /// The styles it is trained on, mixed in equal numbers.
    pub fn styles(self) -> &'static [&'static str] {
        match self {
            Kind::Digits => &["handwritten", "street"],
            Kind::Faces => &["webtoon", "emoji", "photo"],
        }
    }

    /// Image channels the network takes: digits in grey (colour does not tell a digit),
    /// faces in colour (skin and hair do).
    pub fn channels(self) -> usize {
        match self {
            Kind::Digits => 1,
            Kind::Faces => 3,
        }
    }

    pub fn heads(self) -> Vec<Head> {
        match self {
            Kind::Digits => heads::digits(),
            Kind::Faces => heads::faces(),
        }
    }
}

/// Everything that decides a probe's weights.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    pub kind: Kind,
    /// Side of the (square) images the network takes; other sizes are resampled.
    pub size: usize,
    /// Training images per style.
    pub train: usize,
    /// Held-out images per style for the accuracy report.
    pub eval: usize,
    pub steps: usize,
    pub batch: usize,
    pub lr: f64,
    /// Channels of the first convolution.
    pub width: usize,
    /// Dimension of the features.
    pub features: usize,
    pub seed: u64,
}

impl Config {
    /// The default recipe for a kind.
    pub fn new(kind: Kind) -> Config {
        Config {
            kind,
            size: 32,
            // Faces: 18 attributes, some a pixel or two at 32x32 (expression, mouth width,
            // chin); they keep improving with training (800 steps: 0.71 on held-out emoji,
            // 1600: 0.74, 3000 on twice the images: 0.79; see docs/probe.md).
            train: match kind {
                Kind::Digits => 4000,
                Kind::Faces => 8000,
            },
            eval: 500,
            steps: match kind {
                Kind::Digits => 200,
                Kind::Faces => 3000,
            },
            batch: 64,
            lr: 3e-3,
            width: 16,
            features: 128,
            seed: SEED,
        }
    }

    pub fn arch(&self) -> Arch {
        Arch {
            channels: self.kind.channels(),
            size: self.size,
            width: self.width,
            features: self.features,
            outputs: heads::width(&self.kind.heads()),
        }
    }

    /// Checks the numbers a user can set.
    pub fn validate(&self) -> Result<()> {
        if !(8..=256).contains(&self.size) {
            bail!("probe size must be 8..256, got {}", self.size);
        }
        if self.train == 0 || self.steps == 0 || self.batch < 2 || self.eval == 0 {
            bail!(
                "probe: train, eval and steps must be at least 1 and batch at least 2 ({self:?})"
            );
        }
        // the training images (kept as bytes: a quarter of this) and one batch
        let (styles, c, s) = (self.kind.styles().len(), self.kind.channels(), self.size);
        crate::memory_limit::check(&[styles, self.train, c, s, s])
            .and_then(|_| crate::memory_limit::check(&[self.batch, 4 * self.width, s, s]))
            .map_err(|e| err!("probe: {e}"))?;
        Ok(())
    }

    /// The cache key: a hash of the configuration, the recipe version and the device it is
    /// trained on (always the CPU; the name stays in the key so that caches written before
    /// the probe moved to the CPU for every run still serve CPU runs).
    pub fn key(&self) -> String {
        crate::data::cache::key(&[
            format!("probe v{VERSION}"),
            format!("{self:?}"),
            "cpu".to_string(),
        ])
    }
}

/// One style's held-out result: per head, accuracy and the majority-class share.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct StyleScore {
    pub style: String,
    pub accuracy: Vec<f64>,
    pub chance: Vec<f64>,
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// A trained probe, ready to read images.
pub struct Probe {
    pub config: Config,
    pub arch: Arch,
    pub heads: Vec<Head>,
    /// Inference network (parameters without gradients).
    net: Sequential,
    /// Held-out accuracy measured right after training.
    pub heldout: Vec<StyleScore>,
}

/// Images per forward pass (bounds memory whatever the caller passes).
const CHUNK: usize = 256;

impl Probe {
    /// Trains a probe (no cache) on the CPU, whatever the session's device; the probe it
    /// returns reads images on the session's device.
    pub fn train(config: &Config) -> Result<Probe> {
        config.validate()?;
        let (values, heldout) = crate::device::on_cpu(|| -> Result<_> {
            let arch = config.arch();
            let heads = config.kind.heads();
            let data = train::generate(config, &heads, 0, config.train)?;
            let values = train::fit(config, &arch, &heads, &data)?;
            drop(data);
            let probe = Probe::from_values(config, values, Vec::new())?;
            let held = train::generate(config, &heads, config.train, config.eval)?;
            let all: Vec<usize> = (0..held.len()).collect();
            let mut predicted = Vec::with_capacity(held.len());
            for part in all.chunks(CHUNK) {
                predicted.extend(probe.classes(held.images(part, &arch)?)?);
            }
            Ok((
                probe.parameters(),
                train::score(config, &heads, &held, &predicted),
            ))
        })?;
        Probe::from_values(config, values, heldout)
    }

    fn from_values(
        config: &Config,
        values: Vec<Vec<f32>>,
        heldout: Vec<StyleScore>,
    ) -> Result<Probe> {
        let arch = config.arch();
        let net = net::build(&arch, Values::Stored(values.into_iter()), false)?;
        Ok(Probe {
            config: config.clone(),
            arch,
            heads: config.kind.heads(),
            net,
            heldout,
        })
    }

    /// Every parameter's values, in build order.
    pub fn parameters(&self) -> Vec<Vec<f32>> {
        net::values(&self.net)
    }

    /// The probe from the cache under `root` (default: the data cache root), or trained and
    /// stored there. A cache file that does not check out is trained again; a cache that
    /// cannot be written is a warning.
    pub fn load_or_train(config: &Config, root: Option<&Path>) -> Result<Probe> {
        config.validate()?;
        let key = config.key();
        let path = store::path(root, config.kind.name(), &key);
        if let Some((header, values)) = store::load(&path, &key)
            && let Ok(p) = Probe::from_values(config, values, header.heldout)
        {
            return Ok(p);
        }
        let kind = config.kind.name();
        eprintln!(
            "training the {kind} probe (once, cached in {})",
            store::dir(root).display()
        );
        let t0 = std::time::Instant::now();
        let probe = Probe::train(config)?;
        eprintln!(
            "{kind} probe trained in {:.0} s; {}",
            t0.elapsed().as_secs_f64(),
            probe.report()
        );
        let values = probe.parameters();
        let header = store::Header {
            key,
            lengths: values.iter().map(Vec::len).collect(),
            heldout: probe.heldout.clone(),
        };
        if let Err(e) = store::store(&path, &header, &values) {
            eprintln!("warning: the {kind} probe could not be cached: {e}");
        }
        Ok(probe)
    }

    /// The probe of a configuration, shared in this process: loaded or trained on first use
    /// (one thread trains, others wait for it).
    pub fn get(config: &Config) -> Result<Arc<Probe>> {
        type Slot = Arc<Mutex<Option<Arc<Probe>>>>;
        static SLOTS: Mutex<BTreeMap<String, Slot>> = Mutex::new(BTreeMap::new());
        let slot = SLOTS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(config.key())
            .or_default()
            .clone();
        let mut guard = slot.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = guard.as_ref() {
            return Ok(p.clone());
        }
        let p = Arc::new(Probe::load_or_train(config, None)?);
        *guard = Some(p.clone());
        Ok(p)
    }

    /// The default probe of a kind.
    pub fn default_for(kind: Kind) -> Result<Arc<Probe>> {
        Probe::get(&Config::new(kind))
    }

    /// Held-out accuracy, one line: per style for digits; for faces the mean over
    /// attributes with chance (always guessing the most frequent class) beside it.
    pub fn report(&self) -> String {
        let parts: Vec<String> = self
            .heldout
            .iter()
            .map(|s| match self.config.kind {
                Kind::Digits => format!("{} {:.3}", s.style, mean(&s.accuracy)),
                Kind::Faces => format!(
                    "{} {:.3} (chance {:.3})",
                    s.style,
                    mean(&s.accuracy),
                    mean(&s.chance)
                ),
            })
            .collect();
        let what = match self.config.kind {
            Kind::Digits => "held-out digit accuracy",
            Kind::Faces => "held-out attribute accuracy",
        };
        format!("{what}: {}", parts.join(", "))
    }

    /// Features `[n, features]` and logits `[n, outputs]` as row-major values, for images
    /// `[n, 1 or 3, h, w]` in [-1, 1], CHUNK images at a time.
    pub fn outputs(&self, images: &DynTensor) -> Result<(Vec<f32>, Vec<f32>)> {
        let shape = images.shape();
        if shape.len() != 4 {
            bail!("expects images [n, channels, height, width], got {shape:?}");
        }
        let (mut f, mut l) = (Vec::new(), Vec::new());
        for start in (0..shape[0]).step_by(CHUNK) {
            let len = CHUNK.min(shape[0] - start);
            let x = images.clone().narrow(0, start, len)?;
            let x = input::prepare(x, self.arch.channels, self.arch.size)?;
            let (feats, logits) = net::run(&self.net, &self.arch, x)?;
            f.extend(feats.to_vec());
            l.extend(logits.to_vec());
        }
        Ok((f, l))
    }

    /// The class each head reads off each image: [n][heads].
    pub fn classes(&self, images: DynTensor) -> Result<Vec<Vec<usize>>> {
        let (_, logits) = self.outputs(&images)?;
        Ok(heads::predict(&self.heads, &logits))
    }

    /// Softmax over a head's logits, per row: [n][width].
    fn softmax(&self, logits: &[f32], head: usize) -> Vec<Vec<f64>> {
        let w = heads::width(&self.heads);
        let at: usize = self.heads[..head].iter().map(Head::width).sum();
        let k = self.heads[head].width();
        logits
            .chunks(w)
            .map(|row| {
                let z = &row[at..at + k];
                let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max) as f64;
                let e: Vec<f64> = z.iter().map(|&v| (v as f64 - m).exp()).collect();
                let s: f64 = e.iter().sum();
                e.into_iter().map(|v| v / s).collect()
            })
            .collect()
    }

    fn head_index(&self, name: &str) -> Result<usize> {
        self.heads
            .iter()
            .position(|h| h.name == name)
            .ok_or_else(|| err!("the {} probe has no head '{name}'", self.config.kind.name()))
    }
}

impl FeatureNet for Probe {
    fn name(&self) -> String {
        format!(
            "probe({}, size {})",
            self.config.kind.name(),
            self.config.size
        )
    }

    fn features(&self, images: DynTensor) -> Result<DynTensor> {
        let n = images.shape().first().copied().unwrap_or(0);
        let (f, _) = self.outputs(&images)?;
        DynTensor::from_vec(f, &[n, self.arch.features])
    }

    /// Digits: the 10 class probabilities. Faces: the joint of hair style and hair colour
    /// (6 x 5 = 30 classes, style-major), the product of the two heads' softmaxes: the
    /// two discrete traits the probe reads best, uniform and independent in the data, so a
    /// generator covering them has an IS near 30 and a collapsed one near 1.
    fn probabilities(&self, images: DynTensor) -> Result<Option<DynTensor>> {
        let n = images.shape().first().copied().unwrap_or(0);
        let (_, logits) = self.outputs(&images)?;
        let (values, classes) = match self.config.kind {
            Kind::Digits => {
                let p = self.softmax(&logits, 0);
                (p.concat(), 10)
            }
            Kind::Faces => {
                let style = self.softmax(&logits, self.head_index("hair_style")?);
                let colour = self.softmax(&logits, self.head_index("hair_color")?);
                let mut v = Vec::new();
                for (s, c) in style.iter().zip(&colour) {
                    for ps in s {
                        v.extend(c.iter().map(|pc| ps * pc));
                    }
                }
                let k = style.first().map_or(0, Vec::len) * colour.first().map_or(0, Vec::len);
                (v, k)
            }
        };
        let values: Vec<f32> = values.into_iter().map(|v| v as f32).collect();
        Ok(Some(DynTensor::from_vec(values, &[n, classes])?))
    }
}
