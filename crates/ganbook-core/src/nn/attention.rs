//! Self-attention over the positions of a feature map (SAGAN, Zhang et al., 2019): every
//! position looks at every other, so a generator can keep distant parts of an image
//! consistent. Three 1x1 convolutions give queries and keys (C' = max(C / 8, 1) channels) and
//! values (C channels); `out = gamma * attend(x) + x`, with gamma starting at 0 so the block
//! starts as the identity and learns how much attention to mix in.
//!
//! # Shapes
//! - input and output: [N, C, H, W]
//! - attention map: [N, HW, HW] (row i: where position i looks)

use super::conv::{Conv2d, ConvSpec};
use super::init::{self, Scheme};
use super::{Layer, Mode};
use crate::error::Result;
use crate::tensor::DynTensor;
use crate::{bail, err};
use burn::module::{Module, Param};
use burn::tensor::Tensor;
use burn::tensor::activation::softmax;

#[derive(Module, Debug)]
pub struct SelfAttention {
    /// [query, key, value]: 1x1 conv2d layers (or spectral_norm of them), C -> C', C', C.
    pub projections: Vec<Layer>,
    /// [1], the weight of the attention path (starts at 0).
    pub gamma: Param<Tensor<1>>,
    /// C
    #[module(skip)]
    pub channels: usize,
}

/// The names PyTorch's SAGAN modules give the three projections.
pub const PROJECTION_NAMES: [&str; 3] = ["query", "key", "value"];

impl SelfAttention {
    /// For `channels` C; `wrap` may wrap each 1x1 convolution (spectral norm).
    pub fn new(channels: usize, wrap: impl Fn(Layer) -> Result<Layer>) -> Result<SelfAttention> {
        let reduced = (channels / 8).max(1);
        let conv = |out: usize| -> Result<Layer> {
            wrap(Layer::Conv2d(Conv2d::new(channels, out, ConvSpec::new(1))?))
        };
        Ok(SelfAttention {
            projections: vec![conv(reduced)?, conv(reduced)?, conv(channels)?],
            gamma: init::constant([1], 0.0),
            channels,
        })
    }

    pub fn describe(&self) -> String {
        let sn = matches!(self.projections[0], Layer::SpectralNorm(_));
        match sn {
            true => format!("self_attention({}, #{{ sn: true }})", self.channels),
            false => format!("self_attention({})", self.channels),
        }
    }

    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let c = self.channels;
        match input {
            &[_, ch, _, _] if ch == c => Ok(input.to_vec()),
            _ => bail!("expects input [N, {c}, H, W], got {input:?}"),
        }
    }

    /// x: [N, C, H, W] -> [N, C, H, W]
    pub fn forward(&mut self, x: DynTensor, mode: Mode) -> Result<DynTensor> {
        let shape = self.output_shape(&x.shape())?;
        let [n, c, h, w] = [shape[0], shape[1], shape[2], shape[3]];
        // the attention map grows with the square of the positions: refused over --max-memory
        crate::memory_limit::check(&[n, h * w, h * w])
            .map_err(|e| err!("its attention map [{n}, {0}, {0}]: {e}", h * w))?;
        let mut project = |i: usize| -> Result<Tensor<3>> {
            let y = self.projections[i]
                .forward(x.clone(), mode)
                .map_err(|e| err!("its {}: {e}", PROJECTION_NAMES[i]))?;
            let k = y.shape()[1];
            y.reshape(&[n, k, h * w])?.ranked::<3>("self_attention")
        };
        let q = project(0)?.swap_dims(1, 2); // [N, HW, C']
        let k = project(1)?; // [N, C', HW]
        let v = project(2)?; // [N, C, HW]
        let attention = softmax(q.matmul(k), 2); // [N, HW, HW]
        let o = v.matmul(attention.swap_dims(1, 2)).reshape([n, c, h, w]);
        let x = x.ranked::<4>("self_attention")?;
        Ok(DynTensor::new(
            o * self.gamma.val().reshape([1, 1, 1, 1]) + x,
        ))
    }

    /// d(sum(g * out))/dx at x, written out as differentiable operations of the weights (for
    /// the gradient and R1 penalties, which need the input gradient's own gradient): with
    /// G = gamma g, o = V A^T, A = softmax(Q^T K):
    /// dV = G A, dA = G^T V, dS = A * (dA - rowsum(dA * A)), dQ = K dS^T, dK = Q dS, and
    /// dx = g + Wq^T dQ + Wk^T dK + Wv^T dV. Spectral norm's u and v are as the forward left
    /// them. x, g: [N, C, H, W] -> [N, C, H, W]
    pub fn input_gradient(&self, x: &DynTensor, g: DynTensor) -> Result<DynTensor> {
        let shape = self.output_shape(&x.shape())?;
        let (n, p) = (shape[0], shape[2] * shape[3]);
        let c = self.channels;
        let x = x
            .clone()
            .reshape(&[n, c, p])?
            .ranked::<3>("self_attention")?;
        let g = g.reshape(&[n, c, p])?.ranked::<3>("self_attention")?;
        let [wq, wk, wv] = [0, 1, 2].map(|i| pointwise_weights(&self.projections[i]));
        let (q, k, v) = (wq.apply(&x, n), wk.apply(&x, n), wv.apply(&x, n));
        let a = softmax(q.clone().swap_dims(1, 2).matmul(k.clone()), 2); // [N, P, P]
        let big_g = g.clone() * self.gamma.val().reshape([1, 1, 1]); // [N, C, P]
        let dv = big_g.clone().matmul(a.clone()); // [N, C, P]
        let da = big_g.swap_dims(1, 2).matmul(v); // [N, P, P]
        let ds = a.clone() * (da.clone() - (da * a).sum_dim(2)); // [N, P, P]
        let dq = k.matmul(ds.clone().swap_dims(1, 2)); // [N, C', P]
        let dk = q.matmul(ds); // [N, C', P]
        let dx = g + wq.back(dq, n) + wk.back(dk, n) + wv.back(dv, n);
        DynTensor::new(dx).reshape(&shape)
    }

    pub fn init(&mut self, scheme: Scheme) {
        for p in &mut self.projections {
            p.init(scheme);
        }
    }
}

/// A 1x1 convolution as the matrix it is: y = W x + b at every position.
struct Pointwise {
    /// [out, in]
    w: Tensor<2>,
    /// [out]
    b: Option<Tensor<1>>,
}

impl Pointwise {
    /// x: [N, in, P] -> [N, out, P], as one [N P, in] x [in, out] product.
    fn apply(&self, x: &Tensor<3>, n: usize) -> Tensor<3> {
        let y = per_position(x.clone(), self.w.clone().transpose(), n);
        match &self.b {
            Some(b) => {
                let [o] = b.dims();
                y + b.clone().reshape([1, o, 1])
            }
            None => y,
        }
    }

    /// The input gradient W^T g. g: [N, out, P] -> [N, in, P]
    fn back(&self, g: Tensor<3>, n: usize) -> Tensor<3> {
        per_position(g, self.w.clone(), n)
    }
}

/// x [N, a, P] times m [a, b] at every position: [N, b, P].
fn per_position(x: Tensor<3>, m: Tensor<2>, n: usize) -> Tensor<3> {
    let [_, a, p] = x.dims();
    let [_, b] = m.dims();
    let rows = x.swap_dims(1, 2).reshape([n * p, a]); // [N P, a]
    rows.matmul(m).reshape([n, p, b]).swap_dims(1, 2)
}

/// The weights a projection uses in its forward (spectral norm's divided by sigma).
fn pointwise_weights(layer: &Layer) -> Pointwise {
    let conv = match layer {
        Layer::SpectralNorm(s) => s.normalized(),
        other => other.clone(),
    };
    let Layer::Conv2d(c) = conv else {
        unreachable!("self_attention's projections are 1x1 conv2d layers")
    };
    let [o, i, _, _] = c.weight.val().dims();
    Pointwise {
        w: c.weight.val().reshape([o, i]),
        b: c.bias.as_ref().map(|b| b.val()),
    }
}
