//! `Dataset`: a cheap clonable handle on a [`Source`] seen through a view (subset/split),
//! with the output transforms (value range, random horizontal flip) and a batch loader.
//!
//! `batch(n)` draws the next n images of a shuffled order that wraps around epochs; the
//! batches are prepared by a background thread (two ahead), so a training step never waits
//! on generation or decoding. The order depends only on the seed and the epoch, so the same
//! seed gives the same batches however the thread is scheduled.

use super::source::{Source, item_rng};
use crate::bail;
use crate::error::Result;
use rand::Rng;
use rand::seq::SliceRandom;
use std::sync::mpsc::{Receiver, sync_channel};
use std::sync::{Arc, Mutex};

/// How images leave the data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Output {
    /// Values that 0 and 1 of the source map to: (-1, 1) by default (x/127.5 - 1), or (0, 1).
    pub range: (f32, f32),
    /// Flip each batch image left-right with probability 1/2.
    pub flip: bool,
}

impl Default for Output {
    fn default() -> Self {
        Output {
            range: (-1.0, 1.0),
            flip: false,
        }
    }
}

/// A batch: images [n, C, H, W] (flat) and labels [n] (class index, or -1 where none).
pub struct Batch {
    pub x: Vec<f32>,
    pub y: Vec<f32>,
    /// The loader position after this batch: (epoch, index within the epoch).
    end: (usize, usize),
}

struct Prefetch {
    n: usize,
    rx: Receiver<Result<Batch>>,
}

struct Loader {
    /// Position after the last batch handed out: (epoch, index within the epoch).
    pos: (usize, usize),
    prefetch: Option<Prefetch>,
}

struct Inner {
    source: Arc<dyn Source>,
    /// Source indices this data set covers, in order.
    view: Arc<Vec<usize>>,
    out: Output,
    seed: u64,
    loader: Mutex<Loader>,
}

#[derive(Clone)]
pub struct Dataset {
    inner: Arc<Inner>,
}

impl Dataset {
    pub fn new(source: Arc<dyn Source>, out: Output, seed: u64) -> Result<Dataset> {
        if source.is_empty() {
            bail!("{}: the data set is empty", source.describe());
        }
        // the index list: 8 bytes an image, counted as two float32s
        crate::memory_limit::check(&[source.len(), 2])
            .map_err(|e| crate::err!("{}: {} images: {e}", source.describe(), source.len()))?;
        let view = Arc::new((0..source.len()).collect());
        Ok(Self::with_view(source, view, out, seed))
    }

    fn with_view(
        source: Arc<dyn Source>,
        view: Arc<Vec<usize>>,
        out: Output,
        seed: u64,
    ) -> Dataset {
        Dataset {
            inner: Arc::new(Inner {
                source,
                view,
                out,
                seed,
                loader: Mutex::new(Loader {
                    pos: (0, 0),
                    prefetch: None,
                }),
            }),
        }
    }

    pub fn len(&self) -> usize {
        self.inner.view.len()
    }

    pub fn is_empty(&self) -> bool {
        self.inner.view.is_empty()
    }

    /// [C, H, W].
    pub fn shape(&self) -> [usize; 3] {
        self.inner.source.shape()
    }

    pub fn describe(&self) -> String {
        let s = self.inner.source.describe();
        if self.len() == self.inner.source.len() {
            s
        } else {
            format!("{s} (view of {} images)", self.len())
        }
    }

    fn check(&self, i: usize) -> Result<usize> {
        match self.inner.view.get(i) {
            Some(&k) => Ok(k),
            None => bail!(
                "index {i} is out of range for a data set of {} images",
                self.len()
            ),
        }
    }

    /// Image `i` [C, H, W] in the output range (never flipped).
    pub fn get(&self, i: usize) -> Result<Vec<f32>> {
        let k = self.check(i)?;
        let mut v = self.inner.source.image(k)?;
        scale_into(&mut v, self.inner.out.range);
        Ok(v)
    }

    pub fn label(&self, i: usize) -> Result<Option<usize>> {
        Ok(self.inner.source.label(self.check(i)?))
    }

    /// Every label [len] (None when the data has no classes).
    pub fn labels(&self) -> Option<Vec<f32>> {
        let s = &self.inner.source;
        self.inner
            .view
            .iter()
            .map(|&k| s.label(k).map(|l| l as f32))
            .collect()
    }

    /// The built-in data this is drawn from ("digits", "faces"), if any.
    pub fn builtin(&self) -> Option<&'static str> {
        self.inner.source.builtin()
    }

    pub fn classes(&self) -> Vec<String> {
        self.inner.source.classes()
    }

    /// Attribute names and every image's attribute vector, flat [len, names.len()].
    pub fn attributes(&self) -> Option<(Vec<String>, Vec<f32>)> {
        let s = &self.inner.source;
        let names = s.attribute_names();
        if names.is_empty() {
            return None;
        }
        let mut all = Vec::with_capacity(self.len() * names.len());
        for &k in self.inner.view.iter() {
            all.extend(s.attributes(k)?);
        }
        Some((names, all))
    }

    /// The current epoch: how many full passes the batches have made.
    pub fn epoch(&self) -> usize {
        self.inner.loader.lock().unwrap().pos.0
    }

    /// The view indices in a seeded shuffled order.
    fn shuffled_view(&self, salt: u64) -> Vec<usize> {
        let mut v = (*self.inner.view).clone();
        v.shuffle(&mut item_rng(self.inner.seed, 40, salt));
        v
    }

    fn derive(&self, view: Vec<usize>) -> Dataset {
        let i = &self.inner;
        Dataset::with_view(i.source.clone(), Arc::new(view), i.out, i.seed)
    }

    /// Two disjoint data sets: a share `frac` of the images (seeded shuffle) and the rest.
    pub fn split(&self, frac: f64) -> Result<(Dataset, Dataset)> {
        if !(frac > 0.0 && frac < 1.0) {
            bail!("split: frac must be between 0 and 1 (exclusive), got {frac}");
        }
        let v = self.shuffled_view(1);
        let k = ((v.len() as f64 * frac).round() as usize).clamp(1, v.len().max(2) - 1);
        if v.len() < 2 {
            bail!("split: a data set of {} image cannot be split", v.len());
        }
        let (a, b) = v.split_at(k);
        Ok((self.derive(a.to_vec()), self.derive(b.to_vec())))
    }

    /// `n` images chosen at random (seeded), or all when n >= len.
    pub fn subset(&self, n: usize) -> Result<Dataset> {
        if n == 0 {
            bail!("subset: n must be at least 1");
        }
        let mut v = self.shuffled_view(2);
        v.truncate(n);
        Ok(self.derive(v))
    }

    /// The same images with other output settings (a fresh loader).
    pub fn with_output(&self, out: Output) -> Dataset {
        let i = &self.inner;
        Dataset::with_view(i.source.clone(), i.view.clone(), out, i.seed)
    }

    pub fn output(&self) -> Output {
        self.inner.out
    }

    /// The next `n` images of the shuffled order, with labels.
    pub fn batch(&self, n: usize) -> Result<Batch> {
        if n == 0 {
            bail!("batch: n must be at least 1");
        }
        let mut loader = self.inner.loader.lock().unwrap();
        if loader.prefetch.as_ref().is_none_or(|p| p.n != n) {
            loader.prefetch = Some(self.start(n, loader.pos));
        }
        let rx = &loader.prefetch.as_ref().unwrap().rx;
        let got = rx.recv();
        match got {
            Ok(Ok(b)) => {
                loader.pos = b.end;
                Ok(b)
            }
            Ok(Err(e)) => {
                loader.prefetch = None;
                Err(e)
            }
            Err(_) => {
                loader.prefetch = None;
                bail!("batch: the loader thread stopped unexpectedly")
            }
        }
    }

    /// Starts the background thread producing batches of `n` from position `pos`.
    fn start(&self, n: usize, pos: (usize, usize)) -> Prefetch {
        let (tx, rx) = sync_channel(2);
        let me = self.clone_detached();
        std::thread::spawn(move || {
            let (mut epoch, mut at) = pos;
            let mut order = me.order(epoch);
            loop {
                let mut idx = Vec::with_capacity(n);
                while idx.len() < n {
                    if at == order.len() {
                        epoch += 1;
                        at = 0;
                        order = me.order(epoch);
                    }
                    idx.push((order[at], epoch, at));
                    at += 1;
                }
                let b = me.make(&idx).map(|(x, y)| Batch {
                    x,
                    y,
                    end: (epoch, at),
                });
                let stop = b.is_err();
                if tx.send(b).is_err() || stop {
                    return;
                }
            }
        });
        Prefetch { n, rx }
    }

    /// A handle sharing the source and view but not the loader (for the thread).
    fn clone_detached(&self) -> Dataset {
        self.with_output(self.inner.out)
    }

    /// The visiting order of epoch `e` (source indices).
    fn order(&self, e: usize) -> Vec<usize> {
        let mut v = (*self.inner.view).clone();
        v.shuffle(&mut item_rng(self.inner.seed, 41, e as u64));
        v
    }

    /// Images and labels for (source index, epoch, position) triples.
    fn make(&self, idx: &[(usize, usize, usize)]) -> Result<(Vec<f32>, Vec<f32>)> {
        let [c, h, w] = self.shape();
        let mut x = Vec::with_capacity(idx.len() * c * h * w);
        let mut y = Vec::with_capacity(idx.len());
        for &(k, e, p) in idx {
            let mut img = self.inner.source.image(k)?;
            if self.inner.out.flip
                && item_rng(self.inner.seed, 42 + e as u64, p as u64).random::<bool>()
            {
                flip(&mut img, w);
            }
            scale_into(&mut img, self.inner.out.range);
            x.extend(img);
            y.push(self.inner.source.label(k).map_or(-1.0, |l| l as f32));
        }
        Ok((x, y))
    }
}

/// Maps [0, 1] to `range`.
fn scale_into(v: &mut [f32], range: (f32, f32)) {
    let (lo, hi) = range;
    if (lo, hi) != (0.0, 1.0) {
        v.iter_mut().for_each(|p| *p = lo + *p * (hi - lo));
    }
}

/// Flips every row of planar [C, H, W] values left-right.
pub fn flip(v: &mut [f32], w: usize) {
    v.chunks_mut(w).for_each(|row| row.reverse());
}
