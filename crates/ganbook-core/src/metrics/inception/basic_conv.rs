//! torchvision's `BasicConv2d`: convolution without bias, batch norm (eps 0.001, running
//! statistics), ReLU. Batch norm is folded into the convolution when loading:
//! `w' = w * g`, `b' = beta - mean * g` with `g = gamma / sqrt(var + eps)` per output channel
//! (computed in float64), so the forward pass is one convolution and one ReLU.

use super::weights::Source;
use crate::bail;
use crate::error::Result;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Tensor, TensorData, activation, module};

/// TensorFlow's batch norm epsilon, kept by pytorch-fid's port.
pub const BN_EPS: f64 = 0.001;

/// The geometry of one `BasicConv2d`.
#[derive(Clone, Copy, Debug)]
pub struct ConvShape {
    pub c_in: usize,
    pub c_out: usize,
    /// [height, width]
    pub kernel: [usize; 2],
    pub stride: usize,
    /// [height, width], on both sides
    pub padding: [usize; 2],
}

impl ConvShape {
    /// Stride 1 with the padding that keeps the size (k / 2 on each side).
    pub fn same(c_in: usize, c_out: usize, kernel: [usize; 2]) -> ConvShape {
        ConvShape {
            c_in,
            c_out,
            kernel,
            stride: 1,
            padding: [kernel[0] / 2, kernel[1] / 2],
        }
    }

    /// No padding, with a stride.
    pub fn valid(c_in: usize, c_out: usize, k: usize, stride: usize) -> ConvShape {
        ConvShape {
            c_in,
            c_out,
            kernel: [k, k],
            stride,
            padding: [0, 0],
        }
    }
}

/// Convolution + folded batch norm + ReLU.
#[derive(Clone, Debug)]
pub struct BasicConv {
    /// [out, in, kh, kw], batch norm folded in
    weight: Tensor<4>,
    /// [out]
    bias: Tensor<1>,
    shape: ConvShape,
}

impl BasicConv {
    /// Takes `{name}.conv.weight` and `{name}.bn.{weight, bias, running_mean, running_var}`.
    pub fn load(src: &mut dyn Source, name: &str, shape: ConvShape) -> Result<BasicConv> {
        let ConvShape {
            c_in,
            c_out,
            kernel: [kh, kw],
            ..
        } = shape;
        let mut weight = src.take(&format!("{name}.conv.weight"), &[c_out, c_in, kh, kw])?;
        let mut bn = |what: &str| src.take(&format!("{name}.bn.{what}"), &[c_out]);
        let (gamma, beta) = (bn("weight")?, bn("bias")?);
        let (mean, var) = (bn("running_mean")?, bn("running_var")?);
        let mut bias = vec![0f32; c_out];
        let per_out = c_in * kh * kw;
        for o in 0..c_out {
            let v = var[o] as f64 + BN_EPS;
            if v <= 0.0 {
                bail!(
                    "{}: {name}.bn.running_var[{o}] = {} is negative",
                    src.origin(),
                    var[o]
                );
            }
            let g = gamma[o] as f64 / v.sqrt();
            for w in &mut weight[o * per_out..(o + 1) * per_out] {
                *w = (*w as f64 * g) as f32;
            }
            bias[o] = (beta[o] as f64 - mean[o] as f64 * g) as f32;
        }
        let dev = crate::device::current();
        Ok(BasicConv {
            weight: Tensor::from_data(TensorData::new(weight, [c_out, c_in, kh, kw]), &dev),
            bias: Tensor::from_data(TensorData::new(bias, [c_out]), &dev),
            shape,
        })
    }

    /// [N, in, H, W] -> [N, out, H', W']
    pub fn forward(&self, x: Tensor<4>) -> Tensor<4> {
        let s = &self.shape;
        let opts = ConvOptions::new([s.stride; 2], s.padding, [1, 1], 1);
        activation::relu(module::conv2d(
            x,
            self.weight.clone(),
            Some(self.bias.clone()),
            opts,
        ))
    }
}
