//! Conditional batch normalisation (de Vries et al., 2017; the class-conditional generators of
//! SNGAN and BigGAN): batch norm without its own affine parameters, followed by a scale and a
//! shift looked up per sample from its class: `gamma[y] * x̂ + beta[y]`. The lookup table is
//! one embedding of 2C values per class (the first C are gamma, starting at 1; the last C are
//! beta, starting at 0), as PyTorch implementations write it (`embed.weight`).
//!
//! # Shapes
//! - input and output: [N, C] or [N, C, H, W]; label: [N] class indices

use super::Mode;
use super::init::{self, Scheme};
use super::norm::RunningStats;
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor};
use crate::{bail, device};
use burn::module::{Module, Param};
use burn::tensor::{Distribution, Tensor};

#[derive(Module, Debug)]
pub struct ConditionalBatchNorm {
    /// [n_classes, 2C]: gamma in the first C columns, beta in the last C.
    pub embed: Param<Tensor<2>>,
    /// [C], never trained: read detached.
    pub running_mean: Param<Tensor<1>>,
    /// [C], never trained: read detached.
    pub running_var: Param<Tensor<1>>,
    #[module(skip)]
    pub momentum: f64,
    #[module(skip)]
    pub eps: f64,
}

impl ConditionalBatchNorm {
    pub fn new(channels: usize, classes: usize) -> ConditionalBatchNorm {
        let frozen = |v| init::constant([channels], v).set_require_grad(false);
        let mut cbn = ConditionalBatchNorm {
            embed: init::constant([classes, 2 * channels], 0.0),
            running_mean: frozen(0.0),
            running_var: frozen(1.0),
            momentum: 0.1,
            eps: 1e-5,
        };
        cbn.init(Scheme::Default);
        cbn
    }

    /// (C, n_classes)
    pub fn dims(&self) -> (usize, usize) {
        let [n, c2] = self.embed.val().dims();
        (c2 / 2, n)
    }

    pub fn describe(&self) -> String {
        let (c, n) = self.dims();
        format!("conditional_batch_norm({c}, {n})")
    }

    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        let c = self.dims().0;
        if (2..=4).contains(&input.len()) && input[1] == c {
            Ok(input.to_vec())
        } else {
            bail!("expects input [N, {c}] or [N, {c}, H, W], got {input:?}")
        }
    }

    /// x: [N, C, ...], label: [N] -> [N, C, ...]
    pub fn forward(
        &mut self,
        x: DynTensor,
        mode: Mode,
        label: Option<&DynTensor>,
    ) -> Result<DynTensor> {
        let shape = self.output_shape(&x.shape())?;
        let (c, classes) = self.dims();
        let label = labels_for(label, shape[0], "G.forward(z, y) or G.sample(z, y)")?;
        let dev = device::current();
        let stats = RunningStats {
            mean: &mut self.running_mean,
            var: &mut self.running_var,
            momentum: self.momentum,
            eps: self.eps,
        };
        let plain = stats.normalize(x, mode, Tensor::ones([c], &dev), Tensor::zeros([c], &dev))?;
        let idx = label.to_indices("conditional_batch_norm", classes)?;
        let rows = self.embed.val().select(0, idx); // [N, 2C]
        let mut per_sample = vec![shape[0], c];
        per_sample.extend(std::iter::repeat_n(1, shape.len() - 2));
        let gamma = DynTensor::new(rows.clone().narrow(1, 0, c)).reshape(&per_sample)?;
        let beta = DynTensor::new(rows.narrow(1, c, c)).reshape(&per_sample)?;
        plain.binary(gamma, BinOp::Mul)?.binary(beta, BinOp::Add)
    }

    /// gamma 1 (DCGAN's scheme: N(1, 0.02)), beta 0, for every class.
    pub fn init(&mut self, scheme: Scheme) {
        let (c, n) = self.dims();
        let dev = device::current();
        let gamma = match scheme {
            Scheme::Dcgan => init::param([n, c], Distribution::Normal(1.0, 0.02)).val(),
            _ => Tensor::ones([n, c], &dev),
        };
        let values = Tensor::cat(vec![gamma, Tensor::zeros([n, c], &dev)], 1);
        let rg = self.embed.val().is_require_grad();
        self.embed = Param::initialized(self.embed.id, values.detach().set_require_grad(rg));
    }
}

/// The labels a conditional layer was given, checked to hold one class per sample of a batch
/// of n; `call` shows how a model is called with labels.
pub fn labels_for<'a>(label: Option<&'a DynTensor>, n: usize, call: &str) -> Result<&'a DynTensor> {
    let Some(label) = label else {
        bail!("needs each sample's class: call the model with labels, {call}, y: [N] class indices")
    };
    if label.shape() != [n] {
        bail!(
            "needs one class per sample: labels {:?} for a batch of {n}",
            label.shape()
        );
    }
    Ok(label)
}
