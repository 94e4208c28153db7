//! `Layer`: one step of a Sequential, whatever its kind.

use super::Mode;
use super::attention::SelfAttention;
use super::conditional_norm::ConditionalBatchNorm;
use super::conv::{Conv2d, ConvTranspose2d};
use super::embedding::Embedding;
use super::init::Scheme;
use super::linear::Linear;
use super::norm::{BatchNorm, LayerNorm};
use super::projection::Projection;
use super::residual::Residual;
use super::spectral_norm::SpectralNorm;
use super::stateless::Stateless;
use crate::error::Result;
use crate::tensor::DynTensor;
use burn::module::Module;

#[derive(Module, Debug)]
pub enum Layer {
    Linear(Linear),
    Conv2d(Conv2d),
    ConvTranspose2d(ConvTranspose2d),
    BatchNorm(BatchNorm),
    LayerNorm(LayerNorm),
    Embedding(Embedding),
    Stateless(Stateless),
    SpectralNorm(SpectralNorm),
    Residual(Residual),
    SelfAttention(SelfAttention),
    ConditionalBatchNorm(ConditionalBatchNorm),
    Projection(Projection),
}

impl Layer {
    /// How the layer was made, in script syntax: `conv2d(3, 64, k=4, s=2, p=1)`.
    pub fn describe(&self) -> String {
        match self {
            Layer::Linear(l) => l.describe(),
            Layer::Conv2d(l) => l.describe(),
            Layer::ConvTranspose2d(l) => l.describe(),
            Layer::BatchNorm(l) => l.describe(),
            Layer::LayerNorm(l) => l.describe(),
            Layer::Embedding(l) => l.describe(),
            Layer::Stateless(l) => l.describe(),
            Layer::SpectralNorm(l) => l.describe(),
            Layer::Residual(l) => l.describe(),
            Layer::SelfAttention(l) => l.describe(),
            Layer::ConditionalBatchNorm(l) => l.describe(),
            Layer::Projection(l) => l.describe(),
        }
    }

    /// The kind alone: `conv2d`.
    pub fn kind(&self) -> String {
        let d = self.describe();
        d.split('(').next().unwrap_or(&d).to_string()
    }

    /// The output shape for an input shape, or why the input does not fit.
    pub fn output_shape(&self, input: &[usize]) -> Result<Vec<usize>> {
        match self {
            Layer::Linear(l) => l.output_shape(input),
            Layer::Conv2d(l) => l.output_shape(input),
            Layer::ConvTranspose2d(l) => l.output_shape(input),
            Layer::BatchNorm(l) => l.output_shape(input),
            Layer::LayerNorm(l) => l.output_shape(input),
            Layer::Embedding(l) => l.output_shape(input),
            Layer::Stateless(l) => l.output_shape(input),
            Layer::SpectralNorm(l) => l.output_shape(input),
            Layer::Residual(l) => l.output_shape(input),
            Layer::SelfAttention(l) => l.output_shape(input),
            Layer::ConditionalBatchNorm(l) => l.output_shape(input),
            Layer::Projection(l) => l.output_shape(input),
        }
    }

    pub fn forward(&mut self, x: DynTensor, mode: Mode) -> Result<DynTensor> {
        self.forward_labeled(x, mode, None)
    }

    /// Forward with each sample's class (`label`: [N] class indices), which conditional
    /// layers (conditional_batch_norm, projection, and residual blocks holding them) need.
    pub fn forward_labeled(
        &mut self,
        x: DynTensor,
        mode: Mode,
        label: Option<&DynTensor>,
    ) -> Result<DynTensor> {
        crate::device::set_doing(match self {
            Layer::Linear(_) => &"linear forward",
            Layer::Conv2d(_) => &"conv2d forward",
            Layer::ConvTranspose2d(_) => &"conv_transpose2d forward",
            Layer::BatchNorm(_) => &"batch_norm forward",
            Layer::LayerNorm(_) => &"layer_norm forward",
            Layer::Embedding(_) => &"embedding forward",
            Layer::Stateless(_) => &"activation or reshape forward",
            Layer::SpectralNorm(_) => &"spectral_norm forward",
            Layer::Residual(_) => &"residual forward",
            Layer::SelfAttention(_) => &"self_attention forward",
            Layer::ConditionalBatchNorm(_) => &"conditional_batch_norm forward",
            Layer::Projection(_) => &"projection forward",
        });
        match self {
            Layer::Linear(l) => l.forward(x),
            Layer::Conv2d(l) => l.forward(x),
            Layer::ConvTranspose2d(l) => l.forward(x),
            Layer::BatchNorm(l) => l.forward(x, mode),
            Layer::LayerNorm(l) => l.forward(x),
            Layer::Embedding(l) => l.forward(x),
            Layer::Stateless(l) => l.forward(x, mode),
            Layer::SpectralNorm(l) => l.forward(x, mode),
            Layer::Residual(l) => l.forward(x, mode, label),
            Layer::SelfAttention(l) => l.forward(x, mode),
            Layer::ConditionalBatchNorm(l) => l.forward(x, mode, label),
            Layer::Projection(l) => l.forward(x, label),
        }
    }

    /// Re-draws the parameters with `scheme`. Layer norm keeps ones and zeros.
    pub fn init(&mut self, scheme: Scheme) {
        match self {
            Layer::Linear(l) => l.init(scheme),
            Layer::Conv2d(l) => l.init(scheme),
            Layer::ConvTranspose2d(l) => l.init(scheme),
            Layer::BatchNorm(l) => l.init(scheme),
            Layer::Embedding(l) => l.init(scheme),
            Layer::SpectralNorm(l) => l.init(scheme),
            Layer::Residual(l) => l.init(scheme),
            Layer::SelfAttention(l) => l.init(scheme),
            Layer::ConditionalBatchNorm(l) => l.init(scheme),
            Layer::Projection(l) => l.init(scheme),
            Layer::LayerNorm(_) | Layer::Stateless(_) => {}
        }
    }
}
