//! A data set held in memory: images [N, C, H, W] in [0, 1] with optional labels (MNIST
//! files, arrays from `.npy` or a tensor).

use super::source::Source;
use crate::bail;
use crate::error::Result;

pub struct Memory {
    pub what: String,
    /// [C, H, W].
    pub shape: [usize; 3],
    /// Flat [N, C, H, W], in [0, 1].
    pub values: Vec<f32>,
    pub labels: Option<Vec<usize>>,
    pub classes: Vec<String>,
}

impl Memory {
    /// From values [N, C, H, W] (or [N, H, W]: one channel) scaled by `1 / scale`, and
    /// labels given as whole numbers (classes 0..=max).
    pub fn new(
        what: &str,
        shape: &[usize],
        mut values: Vec<f32>,
        scale: f32,
        labels: Option<Vec<f32>>,
    ) -> Result<Memory> {
        let (n, chw) = match *shape {
            [n, h, w] => (n, [1, h, w]),
            [n, c, h, w] => (n, [c, h, w]),
            _ => bail!("{what}: images must have shape [n, h, w] or [n, c, h, w], got {shape:?}"),
        };
        if scale != 1.0 {
            values.iter_mut().for_each(|v| *v /= scale);
        }
        let labels = match labels {
            None => None,
            Some(l) => {
                if l.len() != n {
                    bail!("{what}: {} labels for {n} images", l.len());
                }
                if let Some(bad) = l.iter().find(|v| **v < 0.0 || v.fract() != 0.0) {
                    bail!("{what}: label {bad} is not a class index");
                }
                Some(l.into_iter().map(|v| v as usize).collect::<Vec<_>>())
            }
        };
        let classes = labels
            .as_ref()
            .map(|l| {
                (0..=l.iter().copied().max().unwrap_or(0))
                    .map(|k| k.to_string())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Memory {
            what: what.to_string(),
            shape: chw,
            values,
            labels,
            classes,
        })
    }
}

impl Source for Memory {
    fn len(&self) -> usize {
        self.values.len() / self.shape.iter().product::<usize>()
    }

    fn shape(&self) -> [usize; 3] {
        self.shape
    }

    fn image(&self, i: usize) -> Result<Vec<f32>> {
        let s: usize = self.shape.iter().product();
        Ok(self.values[i * s..(i + 1) * s].to_vec())
    }

    fn label(&self, i: usize) -> Option<usize> {
        self.labels.as_ref().map(|l| l[i])
    }

    fn classes(&self) -> Vec<String> {
        self.classes.clone()
    }

    fn describe(&self) -> String {
        let [c, h, w] = self.shape;
        format!("{} n={} [{c}, {h}, {w}]", self.what, self.len())
    }
}
