//! The script functions of models: `sequential`, `forward`, `train`/`eval`, `freeze`, ...
//! over the core's shared [`Model`] handle.

use super::convert::{ScriptResult, call, shape};
use super::def;
use crate::err;
use crate::error::Result;
use crate::nn::init::Scheme;
pub use crate::nn::model::{Model, ModelState};
use crate::nn::{Layer, Sequential, summary};
use crate::tensor::DynTensor;
use burn::module::Module;
use rhai::{Array, Dynamic, Engine, FLOAT, INT};

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
        "forward",
        "forward(model, x, y) -> Tensor\nA class-conditional model's forward: y holds each sample's class ([N] indices 0..n_classes-1), which conditional_batch_norm and projection layers read. G.forward(z, y), D.forward(x, y).",
        |m: &mut Model, x: DynTensor, y: DynTensor| {
            call("forward", || m.forward_labeled(x, Some(&y)))
        },
    );
    def(
        e,
        "sample",
        "sample(model, x, y) -> Tensor\nA class-conditional model in evaluation mode without gradients: G.sample(randn([10, 128]), arange(0, 10)) draws one sample of each of 10 classes.",
        |m: &mut Model, x: DynTensor, y: DynTensor| {
            call("sample", || m.sample_labeled(x, Some(&y)))
        },
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
            copy.state().ema_decay = s.ema_decay;
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
