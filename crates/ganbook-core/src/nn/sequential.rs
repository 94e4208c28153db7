//! `Sequential`: layers applied in order; the model every script builds.

use super::Mode;
use super::init::Scheme;
use super::layer::Layer;
use crate::err;
use crate::error::{Result, guard};
use crate::tensor::DynTensor;
use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::Tensor;

#[derive(Module, Debug)]
pub struct Sequential {
    pub layers: Vec<Layer>,
}

impl Sequential {
    pub fn new(layers: Vec<Layer>) -> Sequential {
        Sequential { layers }
    }

    /// Runs every layer in order. An input that does not fit a layer is an error naming the
    /// layer's index and kind and both shapes.
    pub fn forward(&mut self, x: DynTensor, mode: Mode) -> Result<DynTensor> {
        self.forward_labeled(x, mode, None)
    }

    /// `forward` with each sample's class (`label`: [N] class indices) for the conditional
    /// layers (conditional_batch_norm, projection).
    pub fn forward_labeled(
        &mut self,
        mut x: DynTensor,
        mode: Mode,
        label: Option<&DynTensor>,
    ) -> Result<DynTensor> {
        for (i, layer) in self.layers.iter_mut().enumerate() {
            // an output over --max-memory (a huge upsample, padding) is refused, not allocated
            if let Ok(out) = guard("", || layer.output_shape(&x.shape())) {
                crate::memory_limit::check(&out)
                    .map_err(|e| err!("layer {i} ({}): its output: {e}", layer.describe()))?;
            }
            x = guard("", || layer.forward_labeled(x, mode, label))
                .map_err(|e| err!("layer {i} ({}): {e}", layer.describe()))?;
        }
        Ok(x)
    }

    pub fn init(&mut self, scheme: Scheme) {
        for layer in &mut self.layers {
            layer.init(scheme);
        }
    }

    /// A deep copy with fresh parameter ids, so that the copy and the original can be trained
    /// by different optimizers (or the same one) without sharing state.
    pub fn deep_copy(&self) -> Sequential {
        self.clone().map(&mut FreshIds)
    }
}

impl Sequential {
    /// A copy that keeps the parameter ids (so an optimizer's state, keyed by id, still fits
    /// it) but shares no tensor the original's training could change: notebook snapshots.
    pub fn snapshot_copy(&self) -> Sequential {
        self.clone().map(&mut SameIds)
    }
}

struct SameIds;

impl ModuleMapper for SameIds {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let id = param.id;
        let value = param.val();
        let require_grad = value.is_require_grad();
        Param::initialized(id, value.detach().set_require_grad(require_grad))
    }
}

struct FreshIds;

impl ModuleMapper for FreshIds {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let value = param.val();
        let require_grad = value.is_require_grad();
        let copy = value.detach().set_require_grad(require_grad);
        Param::initialized(burn::module::ParamId::new(), copy)
    }
}

impl Sequential {
    /// Ids of the batch-norm running statistics and spectral norm's u and v: state, not
    /// trainable parameters.
    pub fn buffer_ids(&self) -> Vec<burn::module::ParamId> {
        buffers_of(&self.layers)
    }

    /// Clamps every trainable parameter to [-c, c] (WGAN's weight clipping).
    pub fn clip_weights(self, c: f64) -> Sequential {
        let skip = self.buffer_ids();
        self.map(&mut Clip { c, skip })
    }

    /// Trainable parameter count (batch-norm running statistics excluded).
    pub fn trainable_params(&self) -> usize {
        self.layers
            .iter()
            .map(super::summary::trainable_params)
            .sum()
    }
}

struct Clip {
    c: f64,
    skip: Vec<burn::module::ParamId>,
}

impl ModuleMapper for Clip {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if self.skip.contains(&param.id) {
            return param;
        }
        let value = param.val();
        let require_grad = value.is_require_grad();
        let clipped = value
            .clamp(-self.c, self.c)
            .detach()
            .set_require_grad(require_grad);
        Param::initialized(param.id, clipped)
    }
}

/// The buffer ids of `layers`, nested blocks included.
fn buffers_of(layers: &[Layer]) -> Vec<burn::module::ParamId> {
    let mut ids = Vec::new();
    for layer in layers {
        match layer {
            Layer::BatchNorm(b) => ids.extend([b.running_mean.id, b.running_var.id]),
            Layer::ConditionalBatchNorm(b) => ids.extend([b.running_mean.id, b.running_var.id]),
            Layer::SpectralNorm(s) => ids.extend([s.u.id, s.v.id]),
            Layer::Residual(r) => {
                ids.extend(buffers_of(&r.body.layers));
                ids.extend(buffers_of(&r.shortcut.layers));
            }
            Layer::SelfAttention(a) => ids.extend(buffers_of(&a.projections)),
            _ => {}
        }
    }
    ids
}
