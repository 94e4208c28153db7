//! Batch normalisation (1-d or 2-d by input rank) and layer normalisation.

use super::Mode;
use super::init::{self, Scheme};
use super::kernels::batch_norm;
use crate::error::Result;
use crate::tensor::DynTensor;
use crate::{bail, map_rank, with_rank};
use burn::module::{Module, Param};
use burn::tensor::Distribution;
use burn::tensor::Tensor;
use burn::tensor::module::batch_norm;

/// BatchNorm over dim 1 of [N, C], [N, C, L] or [N, C, H, W], as PyTorch's BatchNorm1d/2d:
/// batch statistics in training mode (running variance updated with the unbiased estimate),
/// running statistics in evaluation mode.
#[derive(Module, Debug)]
pub struct BatchNorm {
    /// gamma, [C]
    pub weight: Param<Tensor<1>>,
    /// beta, [C]
    pub bias: Param<Tensor<1>>,
    /// [C], never trained: read detached.
    pub running_mean: Param<Tensor<1>>,
    /// [C], never trained: read detached.
    pub running_var: Param<Tensor<1>>,
    #[module(skip)]
    pub momentum: f64,
    #[module(skip)]
    pub eps: f64,
}

impl BatchNorm {
    pub fn new(channels: usize) -> BatchNorm {
        let frozen = |v| init::constant([channels], v).set_require_grad(false);
        BatchNorm {
            weight: init::constant([channels], 1.0),
            bias: init::constant([channels], 0.0),
            running_mean: frozen(0.0),
            running_var: frozen(1.0),
            momentum: 0.1,
            eps: 1e-5,
        }
    }

    pub fn channels(&self) -> usize {
        self.weight.val().dims()[0]
    }

    pub fn describe(&self) -> String {
        format!("batch_norm({})", self.channels())
    }

    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let c = self.channels();
        if (2..=4).contains(&input.len()) && input[1] == c {
            Ok(input.to_vec())
        } else {
            bail!("expects input [N, {c}] or [N, {c}, H, W], got {input:?}")
        }
    }

    pub fn forward(&mut self, x: DynTensor, mode: Mode) -> Result<DynTensor> {
        self.output_shape(&x.shape())?;
        let stats = RunningStats {
            mean: &mut self.running_mean,
            var: &mut self.running_var,
            momentum: self.momentum,
            eps: self.eps,
        };
        stats.normalize(x, mode, self.weight.val(), self.bias.val())
    }

    pub fn init(&mut self, scheme: Scheme) {
        let gamma = match scheme {
            Scheme::Dcgan => Distribution::Normal(1.0, 0.02).into(),
            _ => init::Fill::Const(1.0),
        };
        self.weight = init::reset(&self.weight, gamma);
        self.bias = init::reset(&self.bias, init::Fill::Const(0.0));
    }
}

/// Batch norm's running statistics, borrowed from the layer that keeps them (batch_norm,
/// conditional_batch_norm), and the normalisation that reads and updates them.
pub struct RunningStats<'a> {
    /// [C]
    pub mean: &'a mut Param<Tensor<1>>,
    /// [C]
    pub var: &'a mut Param<Tensor<1>>,
    pub momentum: f64,
    pub eps: f64,
}

impl RunningStats<'_> {
    /// gamma * x̂ + beta over dim 1 of x ([N, C], [N, C, L] or [N, C, H, W]): x̂ from the
    /// batch's statistics in training mode (which then update the running ones, the variance
    /// unbiased), from the running statistics in evaluation mode. gamma, beta: [C].
    pub fn normalize(
        self,
        x: DynTensor,
        mode: Mode,
        g: Tensor<1>,
        b: Tensor<1>,
    ) -> Result<DynTensor> {
        let shape = x.shape();
        let mean = self.mean.val().detach();
        let var = self.var.val().detach();
        if !mode.training {
            return Ok(
                map_rank!(x, t => batch_norm(t, g.clone(), b.clone(), mean.clone(), var.clone(), self.eps)),
            );
        }
        let per_channel = shape.iter().product::<usize>() / shape[1];
        if per_channel < 2 {
            bail!("training needs more than one value per channel, got input {shape:?}");
        }
        let (out, batch_mean, batch_var) = with_rank!(x, t => {
            let r = batch_norm::batch_norm_train(t, g.clone(), b.clone(), self.eps);
            (DynTensor::new(r.output), r.mean, r.variance)
        });
        let m = self.momentum;
        let unbias = per_channel as f64 / (per_channel - 1) as f64;
        let new_mean = mean
            .mul_scalar(1.0 - m)
            .add(batch_mean.detach().mul_scalar(m));
        let new_var = var
            .mul_scalar(1.0 - m)
            .add(batch_var.detach().mul_scalar(m * unbias));
        *self.mean = Param::initialized(self.mean.id, new_mean.detach());
        *self.var = Param::initialized(self.var.id, new_var.detach());
        Ok(out)
    }
}

/// LayerNorm over the trailing dims given by `shape` (PyTorch's `normalized_shape`), with
/// elementwise affine parameters of that many elements.
#[derive(Module, Debug)]
pub struct LayerNorm {
    /// gamma, [prod(shape)]
    pub weight: Param<Tensor<1>>,
    /// beta, [prod(shape)]
    pub bias: Param<Tensor<1>>,
    #[module(skip)]
    pub shape: Vec<usize>,
    #[module(skip)]
    pub eps: f64,
}

impl LayerNorm {
    pub fn new(shape: Vec<usize>) -> Result<LayerNorm> {
        if shape.is_empty() || shape.contains(&0) {
            bail!("layer_norm needs a non-empty shape of positive sizes, got {shape:?}");
        }
        let n = shape.iter().product();
        Ok(LayerNorm {
            weight: init::constant([n], 1.0),
            bias: init::constant([n], 0.0),
            shape,
            eps: 1e-5,
        })
    }

    pub fn describe(&self) -> String {
        format!("layer_norm({:?})", self.shape)
    }

    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        if input.len() > self.shape.len() && input.ends_with(&self.shape) {
            Ok(input.to_vec())
        } else {
            bail!("expects input [N, {}], got {input:?}", join(&self.shape))
        }
    }

    pub fn forward(&self, x: DynTensor) -> Result<DynTensor> {
        let shape = self.output_shape(&x.shape())?;
        let k = shape.len() - self.shape.len();
        let mut flat = shape[..k].to_vec();
        flat.push(self.shape.iter().product());
        let (g, b) = (self.weight.val(), self.bias.val());
        let y = map_rank!(x.reshape(&flat)?, t =>
            burn::tensor::module::layer_norm(t, g.clone(), Some(b.clone()), self.eps));
        y.reshape(&shape)
    }
}

fn join(dims: &[usize]) -> String {
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
