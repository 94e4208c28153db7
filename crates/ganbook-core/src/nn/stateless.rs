//! Layers without parameters: activations, reshapes, upsampling, pooling, dropout.

use super::Mode;
use super::kernels::activation::{self, Activation};
use crate::bail;
use crate::error::Result;
use crate::tensor::{DynTensor, Reduce, Unary, resolve_reshape};
use burn::module::Module;
use burn::tensor::Distribution;
use burn::tensor::ops::{AvgPoolOptions, InterpolateMode, InterpolateOptions};

#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    Relu,
    LeakyRelu(f64),
    Gelu,
    Tanh,
    Sigmoid,
    /// Per-sample shape; the batch dim is kept (PyTorch's View). One entry may be -1.
    Reshape(Vec<i64>),
    /// [N, ...] -> [N, prod(...)]
    Flatten,
    /// Nearest-neighbour upsampling of [N, C, H, W] by an integer factor.
    Upsample(usize),
    /// Zeroes each value with probability p in training mode, scaling the rest by 1/(1-p).
    Dropout(f64),
    /// Average pooling of [N, C, H, W] over k x k windows, stride k: [N, C, H/k, W/k].
    AvgPool(usize),
    /// Sum over the spatial dims: [N, C, H, W] -> [N, C] (SNGAN's discriminator head).
    GlobalSumPool,
}

impl Op {
    /// The activation ganbook's CPU kernels compute for this op, if they do (the rest, and
    /// every tensor not on the CPU, is left to burn).
    pub fn cpu_kernel(&self) -> Option<Activation> {
        match *self {
            Op::Relu => Some(Activation::Leaky(0.0)),
            Op::LeakyRelu(a) => Some(Activation::Leaky(a as f32)),
            Op::Tanh => Some(Activation::Tanh),
            Op::Sigmoid => Some(Activation::Sigmoid),
            _ => None,
        }
    }
}

#[derive(Module, Debug)]
pub struct Stateless {
    #[module(skip)]
    pub op: Op,
}

impl Stateless {
    pub fn new(op: Op) -> Result<Stateless> {
        match &op {
            Op::Dropout(p) if !(0.0..1.0).contains(p) => {
                bail!("dropout probability must be in [0, 1), got {p}")
            }
            Op::Upsample(0) => bail!("upsample scale must be at least 1"),
            Op::AvgPool(0) => bail!("avg_pool2d kernel must be at least 1"),
            _ => Ok(Stateless { op }),
        }
    }

    pub fn describe(&self) -> String {
        match &self.op {
            Op::Relu => "relu()".into(),
            Op::LeakyRelu(a) => format!("leaky_relu({a})"),
            Op::Gelu => "gelu()".into(),
            Op::Tanh => "tanh()".into(),
            Op::Sigmoid => "sigmoid()".into(),
            Op::Reshape(s) => format!("reshape({s:?})"),
            Op::Flatten => "flatten()".into(),
            Op::Upsample(k) => format!("upsample({k})"),
            Op::Dropout(p) => format!("dropout({p})"),
            Op::AvgPool(k) => format!("avg_pool2d({k})"),
            Op::GlobalSumPool => "global_sum_pool()".into(),
        }
    }

    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match &self.op {
            Op::Reshape(spec) => {
                let Some((&n, rest)) = input.split_first() else {
                    bail!("expects a batch [N, ...], got {input:?}")
                };
                let inner = resolve_reshape(rest, spec)
                    .ok()
                    .filter(|d| d.iter().product::<usize>() == rest.iter().product::<usize>());
                match inner {
                    Some(dims) => Ok([vec![n], dims].concat()),
                    None => bail!(
                        "cannot view each sample of {input:?} ({} values) as {spec:?}",
                        rest.iter().product::<usize>()
                    ),
                }
            }
            Op::Flatten => match input {
                [n, rest @ ..] if !rest.is_empty() => Ok(vec![*n, rest.iter().product()]),
                _ => bail!("expects a batch [N, ...] of rank 2 or more, got {input:?}"),
            },
            Op::Upsample(k) => match input {
                &[n, c, h, w] => Ok(vec![n, c, h * k, w * k]),
                _ => bail!("expects input [N, C, H, W], got {input:?}"),
            },
            Op::AvgPool(k) => match input {
                &[n, c, h, w] if h >= *k && w >= *k => Ok(vec![n, c, h / k, w / k]),
                _ => bail!("expects input [N, C, H, W] of at least {k}x{k}, got {input:?}"),
            },
            Op::GlobalSumPool => match input {
                &[n, c, _, _] => Ok(vec![n, c]),
                _ => bail!("expects input [N, C, H, W], got {input:?}"),
            },
            _ => Ok(input.to_vec()),
        }
    }

    pub fn forward(&self, x: DynTensor, mode: Mode) -> Result<DynTensor> {
        let out_shape = self.output_shape(&x.shape())?;
        let x = match self.op.cpu_kernel() {
            Some(kind) => match activation::forward(x, kind) {
                Ok(y) => return Ok(y),
                Err(x) => *x,
            },
            None => x,
        };
        Ok(match &self.op {
            Op::Relu => x.unary(Unary::Relu),
            Op::LeakyRelu(a) => x.leaky_relu(*a),
            Op::Gelu => x.unary(Unary::Gelu),
            Op::Tanh => x.unary(Unary::Tanh),
            Op::Sigmoid => x.unary(Unary::Sigmoid),
            Op::Reshape(_) | Op::Flatten => x.reshape(&out_shape)?,
            Op::Upsample(_) => {
                let opts = InterpolateOptions::new(InterpolateMode::Nearest)
                    .with_output_size([out_shape[2], out_shape[3]]);
                let t = x.ranked::<4>("upsample")?;
                DynTensor::new(burn::tensor::module::interpolate(t, opts))
            }
            Op::Dropout(p) if mode.training && *p > 0.0 => {
                // The mask comes from the session RNG, so a resumed run drops the same units.
                let keep = 1.0 - p;
                let mask = DynTensor::random(&x.shape(), Distribution::Bernoulli(keep))?;
                x.binary(mask, crate::tensor::BinOp::Mul)?
                    .mul_scalar(1.0 / keep)
            }
            Op::Dropout(_) => x,
            Op::AvgPool(k) => {
                let t = x.ranked::<4>("avg_pool2d")?;
                DynTensor::new(burn::tensor::module::avg_pool2d(
                    t,
                    AvgPoolOptions::new([*k, *k]),
                ))
            }
            Op::GlobalSumPool => x
                .flatten(2, 3)?
                .reduce(Reduce::Sum, Some(2))?
                .reshape(&out_shape)?,
        })
    }
}

/// Upsampling or average pooling by k (`Op::Upsample(k)`, `Op::AvgPool(k)`), x itself for
/// k = 1: a residual block's resampling, and its input gradient's.
pub fn resample(x: DynTensor, op: Op) -> Result<DynTensor> {
    match op {
        Op::Upsample(1) | Op::AvgPool(1) => Ok(x),
        op => Stateless::new(op)?.forward(x, Mode { training: true }),
    }
}

/// The shape [`resample`] gives.
pub fn resampled_shape(input: &[usize], op: Op) -> Result<Vec<usize>> {
    match op {
        Op::Upsample(1) | Op::AvgPool(1) => Ok(input.to_vec()),
        op => Stateless::new(op)?.output_shape(input),
    }
}
