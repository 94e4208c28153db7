//! BatchNorm in training mode on the CPU (flex), with its own backward pass.
//!
//! burn 0.22 computes the batch statistics and their gradient from generic tensor operations:
//! swaps of the batch and channel dims (each a full copy), broadcasts and separate reductions,
//! about a dozen passes over the activation each way. Here each channel is read in runs of
//! H·W contiguous values: forward = mean, variance (two reads) and one normalising write;
//! backward = the two per-channel sums (one read of x and dy) and one write of dx.
//! Tensors on any other device, or not float32, go through burn's `batch_norm_train`.

use super::flex::{Ad, AdTensor, flex_f32, tensor, values};
use burn::backend::Flex;
use burn::backend::autodiff::checkpoint::base::Checkpointer;
use burn::backend::autodiff::checkpoint::strategy::NoCheckpointing;
use burn::backend::autodiff::grads::Gradients;
use burn::backend::autodiff::ops::{Backward, Ops, OpsKind};
use burn::backend::flex::FlexTensor;
use burn::tensor::{Tensor, TensorData};
use rayon::prelude::*;

/// Output of [`batch_norm_train`]: the normalised tensor and the batch mean and biased
/// variance per channel (not differentiated).
pub struct BatchNormOutput<const D: usize> {
    pub output: Tensor<D>,
    pub mean: Tensor<1>,
    pub variance: Tensor<1>,
}

/// Whether [`batch_norm_train`] takes its own path for `x` (float32 on flex with autodiff,
/// the CPU device's kind) rather than burn's.
pub fn applies<const D: usize>(x: &Tensor<D>) -> bool {
    flex_f32(x).is_some()
}

/// Normalises `x` [N, C, ...] with its own per-channel statistics, then scales by `gamma` and
/// shifts by `beta` (both [C]), as PyTorch's BatchNorm in training mode.
pub fn batch_norm_train<const D: usize>(
    x: Tensor<D>,
    gamma: Tensor<1>,
    beta: Tensor<1>,
    eps: f64,
) -> BatchNormOutput<D> {
    if let (Some(xp), Some(gp), Some(bp)) = (flex_f32(&x), flex_f32(&gamma), flex_f32(&beta)) {
        let device = x.device();
        let (out, mean, var) = batch_norm_ad(xp, gp, bp, eps);
        let stat = |v: Vec<f32>| Tensor::<1>::from_data(TensorData::from(v.as_slice()), &device);
        return BatchNormOutput {
            output: Tensor::from_primitive::<Ad>(out),
            mean: stat(mean),
            variance: stat(var),
        };
    }
    let r = burn::tensor::module::batch_norm_train(x, gamma, beta, eps);
    BatchNormOutput {
        output: r.output,
        mean: r.mean,
        variance: r.variance,
    }
}

/// How a [N, C, ...] tensor's values fall into channels: N samples of C runs of `run` values.
#[derive(Clone, Copy, Debug)]
struct Runs {
    n: usize,
    c: usize,
    run: usize,
}

impl Runs {
    fn of(shape: &[usize]) -> Runs {
        Runs {
            n: shape[0],
            c: shape[1],
            run: shape[2..].iter().product(),
        }
    }

    /// Values per channel.
    fn count(&self) -> usize {
        self.n * self.run
    }

    /// The runs of channel `c` in `v`.
    fn channel<'a>(&self, v: &'a [f32], c: usize) -> impl Iterator<Item = &'a [f32]> {
        (0..self.n).map(move |n| &v[(n * self.c + c) * self.run..][..self.run])
    }
}

/// Sum of `f(values)` with eight independent float32 lanes (vectorisable), in float64.
#[inline]
fn lane_sum(a: &[f32], f: impl Fn(f32) -> f32) -> f64 {
    let mut lanes = [0.0f32; 8];
    let chunks = a.chunks_exact(8);
    let tail: f32 = chunks.remainder().iter().map(|&v| f(v)).sum();
    for ch in chunks {
        for (l, &v) in lanes.iter_mut().zip(ch) {
            *l += f(v);
        }
    }
    lanes.iter().map(|&l| l as f64).sum::<f64>() + tail as f64
}

/// Sum of `f(a, b)` over two equal-length slices, as [`lane_sum`].
#[inline]
fn lane_sum2(a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) -> f64 {
    let mut lanes = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(&x, &y)| f(x, y))
        .sum();
    for (xa, xb) in ca.zip(cb) {
        for i in 0..8 {
            lanes[i] += f(xa[i], xb[i]);
        }
    }
    lanes.iter().map(|&l| l as f64).sum::<f64>() + tail as f64
}

/// Per-channel mean and biased variance (two passes: mean, then squared deviations).
fn statistics(x: &[f32], r: Runs) -> (Vec<f32>, Vec<f32>) {
    (0..r.c)
        .into_par_iter()
        .map(|c| {
            let count = r.count() as f64;
            let mean = r.channel(x, c).map(|run| lane_sum(run, |v| v)).sum::<f64>() / count;
            let m = mean as f32;
            let var = r
                .channel(x, c)
                .map(|run| lane_sum(run, |v| (v - m) * (v - m)))
                .sum::<f64>()
                / count;
            (m, var as f32)
        })
        .unzip()
}

/// out = a[c] · x + b[c], channel by channel.
fn affine(x: &[f32], r: Runs, a: &[f32], b: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    out.par_chunks_mut(r.c * r.run)
        .zip(x.par_chunks(r.c * r.run))
        .for_each(|(o, xs)| {
            for c in 0..r.c {
                let (oc, xc) = (&mut o[c * r.run..][..r.run], &xs[c * r.run..][..r.run]);
                let (ac, bc) = (a[c], b[c]); // hoisted: the loop then vectorises
                for (y, &v) in oc.iter_mut().zip(xc) {
                    *y = ac * v + bc;
                }
            }
        });
    out
}

#[derive(Clone, Debug)]
struct Saved {
    x: FlexTensor,
    gamma: Vec<f32>,
    mean: Vec<f32>,
    inv_std: Vec<f32>,
}

#[derive(Debug)]
struct BatchNormBackward;

impl Backward<Flex, 3> for BatchNormBackward {
    type State = Saved;

    fn backward(self, ops: Ops<Self::State, 3>, grads: &mut Gradients, _: &mut Checkpointer) {
        let [node_x, node_gamma, node_beta] = ops.parents;
        let dy = grads.consume::<Flex>(&ops.node);
        let s = ops.state;
        let shape = s.x.layout().shape().clone();
        let r = Runs::of(&shape);
        let (x, dy) = (values(&s.x), values(&dy));
        // Per channel: Σ dy and Σ dy·x̂, x̂ = (x - mean)·inv_std.
        let (dbeta, dgamma): (Vec<f32>, Vec<f32>) = (0..r.c)
            .into_par_iter()
            .map(|c| {
                let (m, is) = (s.mean[c], s.inv_std[c]);
                let (mut sum, mut dot) = (0.0f64, 0.0f64);
                for (xr, gr) in r.channel(&x, c).zip(r.channel(&dy, c)) {
                    sum += lane_sum(gr, |g| g);
                    dot += lane_sum2(xr, gr, |v, g| (v - m) * is * g);
                }
                (sum as f32, dot as f32)
            })
            .unzip();
        if let Some(node) = node_x {
            // dx = γ·inv_std·(dy - Σdy/M - x̂·Σ(dy·x̂)/M)
            let count = r.count() as f32;
            let mut dx = vec![0.0f32; x.len()];
            dx.par_chunks_mut(r.c * r.run)
                .zip(x.par_chunks(r.c * r.run).zip(dy.par_chunks(r.c * r.run)))
                .for_each(|(o, (xs, gs))| {
                    for c in 0..r.c {
                        let (m, is) = (s.mean[c], s.inv_std[c]);
                        let scale = s.gamma[c] * is;
                        let (mb, mg) = (dbeta[c] / count, dgamma[c] / count);
                        let range = c * r.run..(c + 1) * r.run;
                        let (oc, xc, gc) = (&mut o[range.clone()], &xs[range.clone()], &gs[range]);
                        for ((d, &v), &g) in oc.iter_mut().zip(xc).zip(gc) {
                            *d = scale * (g - mb - (v - m) * is * mg);
                        }
                    }
                });
            grads.register::<Flex>(node.id, tensor(dx, &shape));
        }
        if let Some(node) = node_gamma {
            grads.register::<Flex>(node.id, tensor(dgamma, &[r.c]));
        }
        if let Some(node) = node_beta {
            grads.register::<Flex>(node.id, tensor(dbeta, &[r.c]));
        }
    }
}

/// (output, mean, biased variance)
fn batch_norm_ad(
    x: AdTensor,
    gamma: AdTensor,
    beta: AdTensor,
    eps: f64,
) -> (AdTensor, Vec<f32>, Vec<f32>) {
    let prep = BatchNormBackward
        .prepare::<NoCheckpointing>([x.node(), gamma.node(), beta.node()])
        .compute_bound()
        .stateful();
    let shape = x.primitive().layout().shape().clone();
    let r = Runs::of(&shape);
    let xv = x.primitive().to_contiguous();
    let xs = values(&xv);
    let (g, b) = (values(gamma.primitive()), values(beta.primitive()));
    let (mean, var) = statistics(&xs, r);
    let inv_std: Vec<f32> = var
        .iter()
        .map(|&v| (1.0 / (v as f64 + eps).sqrt()) as f32)
        .collect();
    // y = γ·(x - mean)·inv_std + β = a·x + b
    let a: Vec<f32> = (0..r.c).map(|c| g[c] * inv_std[c]).collect();
    let shift: Vec<f32> = (0..r.c).map(|c| b[c] - a[c] * mean[c]).collect();
    let y = tensor(affine(&xs, r, &a, &shift), &shape);
    let gamma = g.to_vec();
    drop(xs);
    let out = match prep {
        OpsKind::Tracked(prep) => prep.finish(
            Saved {
                x: xv,
                gamma,
                mean: mean.clone(),
                inv_std,
            },
            y,
        ),
        OpsKind::UnTracked(prep) => prep.finish(y),
    };
    (out, mean, var)
}
