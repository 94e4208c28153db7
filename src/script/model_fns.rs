//! `Model`: a shared handle to a Sequential, with its training and frozen flags.

use super::convert::{ScriptResult, call, shape};
use super::def;
use crate::err;
use crate::error::Result;
use crate::nn::init::Scheme;
use crate::nn::{Layer, Mode, Sequential, summary};
use crate::tensor::DynTensor;
use burn::module::Module;
use rhai::{Array, Dynamic, Engine, FLOAT, INT};
use std::sync::{Arc, RwLock, RwLockWriteGuard};

pub struct ModelState {
    pub seq: Sequential,
    /// Batch norm uses batch statistics and dropout is on (`m.train()`, the default).
    pub training: bool,
    /// Parameters get no gradients (`m.freeze()`); gradients still flow through to inputs.
    pub frozen: bool,
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
        let mut s = self.state();
        let mode = Mode {
            training: s.training,
        };
        s.seq.forward(x, mode)
    }

    /// Forward in evaluation mode, detached from the graph.
    pub fn sample(&self, x: DynTensor) -> Result<DynTensor> {
        let mut s = self.state();
        Ok(s.seq
            .forward(x.detach(), Mode { training: false })?
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

/// A model from a script value (a Model, or an array of them).
pub fn models(v: &Dynamic, what: &str) -> Result<Vec<Model>> {
    let list: Vec<Dynamic> = match v.clone().try_cast::<Array>() {
        Some(a) => a,
        None => vec![v.clone()],
    };
    let mut out: Vec<Model> = Vec::new();
    for item in list {
        let m = item.clone().try_cast::<Model>().ok_or_else(|| {
            err!(
                "{what} expects a model or an array of models, got {}",
                item.type_name()
            )
        })?;
        if !out.iter().any(|o| o.same(&m)) {
            out.push(m);
        }
    }
    if out.is_empty() {
        return Err(err!("{what} needs at least one model"));
    }
    Ok(out)
}

pub fn register(e: &mut Engine) {
    e.register_type_with_name::<Model>("Model");
    def(
        e,
        "sequential",
        "sequential(layers) -> Model\nA model applying the layers in order: sequential([linear(2, 128), relu(), linear(128, 2)]).",
        |layers: Array| {
            call("sequential", || {
                let mut list = Vec::with_capacity(layers.len());
                for (i, l) in layers.into_iter().enumerate() {
                    let name = l.type_name();
                    list.push(
                        l.try_cast::<Layer>()
                            .ok_or_else(|| err!("item {i} is a {name}, not a layer"))?,
                    );
                }
                // A fresh copy: the same layer value used twice must not share parameters.
                Ok(Model::new(Sequential::new(list).deep_copy()))
            })
        },
    );
    def(
        e,
        "forward",
        "forward(model, x) -> Tensor\nRuns the model on a batch, recording gradients (training mode unless m.eval()).",
        |m: &mut Model, x: DynTensor| call("forward", || m.forward(x)),
    );
    def(
        e,
        "sample",
        "sample(model, x) -> Tensor\nRuns the model in evaluation mode without recording gradients: for sample grids and metrics.",
        |m: &mut Model, x: DynTensor| call("sample", || m.sample(x)),
    );
    def(
        e,
        "train",
        "train(model) -> Model\nTraining mode: batch statistics in batch norm, dropout on (the default).",
        |m: &mut Model| {
            m.state().training = true;
            m.clone()
        },
    );
    def(
        e,
        "eval_mode",
        "eval(model) -> Model\nmodel.eval(): evaluation mode: running statistics in batch norm, dropout off.",
        |m: &mut Model| {
            m.state().training = false;
            m.clone()
        },
    );
    def(
        e,
        "freeze",
        "freeze(model) -> Model\nStops gradients to the model's parameters (they still flow through it to its input).",
        |m: &mut Model| {
            set_frozen(m, true);
            m.clone()
        },
    );
    def(
        e,
        "unfreeze",
        "unfreeze(model) -> Model\nUndoes freeze.",
        |m: &mut Model| {
            set_frozen(m, false);
            m.clone()
        },
    );
    def(
        e,
        "params",
        "params(model) -> int\nNumber of trainable parameters.",
        |m: &mut Model| m.state().seq.trainable_params() as INT,
    );
    def(
        e,
        "init",
        "init(model, scheme) -> Model\nRe-draws the weights: \"dcgan\" (N(0, 0.02), batch-norm gamma N(1, 0.02)), \"xavier\", \"kaiming\" or \"default\" (PyTorch's).",
        |m: &mut Model, name: &str| {
            call("init", || {
                let scheme = Scheme::parse(name).ok_or_else(|| {
                    err!("unknown scheme '{name}': use dcgan, xavier, kaiming or default")
                })?;
                m.state().seq.init(scheme);
                Ok(m.clone())
            })
        },
    );
    def(
        e,
        "clone",
        "clone(model) -> Model\nA deep copy with its own parameters (a plain `let b = a;` shares one model).",
        |m: &mut Model| {
            let s = m.state();
            let copy = Model::new(s.seq.deep_copy());
            copy.state().training = s.training;
            copy.state().frozen = s.frozen;
            copy
        },
    );
    def(
        e,
        "clip_weights",
        "clip_weights(model, c)\nClamps every trainable parameter to [-c, c] (WGAN).",
        |m: &mut Model, c: FLOAT| -> ScriptResult<()> {
            call("clip_weights", || {
                let mut s = m.state();
                let seq = s.seq.clone();
                s.seq = seq.clip_weights(c);
                Ok(())
            })
        },
    );
    def(
        e,
        "summary",
        "summary(model, input_shape)\nPrints each layer's output shape and parameters for one sample of input_shape (no batch dim), stopping at the first layer the shape does not fit.",
        |m: &mut Model, s: Array| -> ScriptResult<()> {
            call("summary", || {
                let dims = shape(&s, "summary")?;
                print!("{}", summary::summary(&m.state().seq, &dims));
                Ok(())
            })
        },
    );
    def(
        e,
        "to_string",
        "to_string(model) -> string\nLayers and parameter count.",
        |m: &mut Model| m.describe(),
    );
    def(
        e,
        "to_debug",
        "to_debug(model) -> string\nLayers and parameter count.",
        |m: &mut Model| m.describe(),
    );
}

fn set_frozen(m: &Model, frozen: bool) {
    let mut s = m.state();
    s.frozen = frozen;
    let seq = s.seq.clone();
    s.seq = seq.set_require_grad(!frozen);
}
