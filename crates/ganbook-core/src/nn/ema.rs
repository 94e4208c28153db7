//! An exponential moving average of a model's weights (the "EMA generator" of ProGAN,
//! StyleGAN, BigGAN and PyTorch-StudioGAN): after each training step,
//! `ema = decay * ema + (1 - decay) * model` for every trainable parameter, while batch
//! norm's running statistics are copied as they are (as StudioGAN's `ema.update` and
//! StyleGAN2-ADA do). Sampling from the average gives smoother, usually better samples.

use super::sequential::Sequential;
use crate::bail;
use crate::error::Result;
use burn::module::{Module, ModuleMapper, ModuleVisitor, Param, ParamId};
use burn::tensor::Tensor;

/// A copy of `model` to average into: fresh parameter ids (no optimizer trains it), no
/// gradients.
pub fn start(model: &Sequential) -> Sequential {
    model.deep_copy().no_grad()
}

/// Moves `ema` towards `model` by `1 - decay`; copies the buffers. Both must have the same
/// layers (an EMA made from this model).
pub fn update(ema: Sequential, model: &Sequential, decay: f64) -> Result<Sequential> {
    if !(0.0..=1.0).contains(&decay) {
        bail!("ema: decay must be in [0, 1], got {decay}");
    }
    let (a, b): (Vec<String>, Vec<String>) = (
        ema.layers.iter().map(|l| l.describe()).collect(),
        model.layers.iter().map(|l| l.describe()).collect(),
    );
    if a != b {
        bail!(
            "ema: the model's layers [{}] are not the average's [{}]",
            b.join(", "),
            a.join(", ")
        );
    }
    let mut source = Flat {
        buffers: model.buffer_ids(),
        values: Vec::new(),
    };
    model.visit(&mut source);
    let mut mix = Mix {
        values: source.values.into_iter(),
        decay,
    };
    Ok(ema.map(&mut mix))
}

/// Every parameter of a model in visiting order, flattened, with whether it is a buffer.
struct Flat {
    buffers: Vec<ParamId>,
    values: Vec<(Tensor<1>, bool)>,
}

impl ModuleVisitor for Flat {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let value = param.val().detach().flatten::<1>(0, D - 1);
        self.values.push((value, self.buffers.contains(&param.id)));
    }
}

struct Mix {
    values: std::vec::IntoIter<(Tensor<1>, bool)>,
    decay: f64,
}

impl ModuleMapper for Mix {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let Some((source, is_buffer)) = self.values.next() else {
            return param; // cannot happen: the layers were compared
        };
        let current = param.val().detach();
        let source = source.reshape(current.dims());
        let next = if is_buffer {
            source
        } else {
            // decay * ema + (1 - decay) * model, written as PyTorch's lerp: ema + (1 - decay) * (model - ema)
            current.clone() + (source - current) * (1.0 - self.decay)
        };
        Param::initialized(param.id, next)
    }
}
