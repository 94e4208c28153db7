//! `Model`: a shared handle to a Sequential, with its training and frozen flags: what the
//! script's model values, optimizers and metrics hold (`let H = G;` is the same model).

use super::{Layer, Mode, Sequential};
use crate::error::Result;
use crate::tensor::DynTensor;
use std::sync::{Arc, RwLock, RwLockWriteGuard};

pub struct ModelState {
    pub seq: Sequential,
    /// Batch norm uses batch statistics and dropout is on (`m.train()`, the default).
    pub training: bool,
    /// Parameters get no gradients (`m.freeze()`); gradients still flow through to inputs.
    pub frozen: bool,
    /// An average of another model's weights (`ema(G, decay)`): its decay.
    pub ema_decay: Option<f64>,
}

/// A model shared between variables and optimizers: `let H = G;` is the same model.
#[derive(Clone)]
pub struct Model(pub Arc<RwLock<ModelState>>);

impl Model {
    pub fn new(seq: Sequential) -> Model {
        Model(Arc::new(RwLock::new(ModelState {
            seq,
            training: true,
            frozen: false,
            ema_decay: None,
        })))
    }

    pub fn state(&self) -> RwLockWriteGuard<'_, ModelState> {
        self.0.write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn same(&self, other: &Model) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }

    /// Forward in the model's mode, recording the graph.
    pub fn forward(&self, x: DynTensor) -> Result<DynTensor> {
        self.forward_labeled(x, None)
    }

    /// Forward with each sample's class ([N] indices) for conditional layers.
    pub fn forward_labeled(&self, x: DynTensor, label: Option<&DynTensor>) -> Result<DynTensor> {
        let mut s = self.state();
        let mode = Mode {
            training: s.training,
        };
        s.seq.forward_labeled(x, mode, label)
    }

    /// Forward in evaluation mode, detached from the graph.
    pub fn sample(&self, x: DynTensor) -> Result<DynTensor> {
        self.sample_labeled(x, None)
    }

    /// `sample` with each sample's class ([N] indices) for conditional layers.
    pub fn sample_labeled(&self, x: DynTensor, label: Option<&DynTensor>) -> Result<DynTensor> {
        let mut s = self.state();
        let label = label.map(|l| l.clone().detach());
        Ok(s.seq
            .forward_labeled(x.detach(), Mode { training: false }, label.as_ref())?
            .detach())
    }

    pub fn describe(&self) -> String {
        let s = self.state();
        let layers: Vec<String> = s.seq.layers.iter().map(Layer::describe).collect();
        let flags = match (s.training, s.frozen) {
            (true, false) => "",
            (false, false) => ", eval",
            (true, true) => ", frozen",
            (false, true) => ", eval, frozen",
        };
        format!(
            "Model[{} params{flags}]({})",
            s.seq.trainable_params(),
            layers.join(" -> ")
        )
    }
}
