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

    pub fn init(&mut self, scheme: Scheme) {
        for p in &mut self.projections {
            p.init(scheme);
        }
    }
}
