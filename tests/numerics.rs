//! Numerical parity of the core against PyTorch.
//!
//! The fixtures in `tests/fixtures/*.json` are written by `tests/fixtures/make_fixtures.py`
//! (see the README there): inputs and parameters in PyTorch's layout, the forward output,
//! and the gradients of `(out * R).sum()` for a fixed random R (of the loss itself for the
//! loss cases), computed by PyTorch in float64 from float32 inputs. ganbook computes in
//! float32, so every comparison allows |got - want| <= ATOL + RTOL * |want|.

#[path = "numerics/blocks.rs"]
mod blocks;
mod common;

use burn::module::Param;
use burn::tensor::{Gradients, Tensor, TensorData};
use ganbook::device;
use ganbook::nn::conv::{Conv2d, ConvSpec, ConvTranspose2d};
use ganbook::nn::embedding::Embedding;
use ganbook::nn::linear::Linear;
use ganbook::nn::loss::{self, Labels, Target};
use ganbook::nn::norm::{BatchNorm, LayerNorm};
use ganbook::nn::optim::{Algorithm, Optimizer};
use ganbook::nn::spectral_norm::{Normed, SpectralNorm};
use ganbook::nn::stateless::{Op, Stateless};
use ganbook::nn::{Layer, Mode, Sequential};
use ganbook::tensor::{BinOp, DynTensor, Ranked, Reduce, Unary};
use serde_json::Value;

/// One tolerance for every comparison: float32 results against a float64 reference rounded
/// to float32. No case needed a looser one (the largest differences seen are about 2e-6
/// absolute, in batch-norm and transposed-convolution weight gradients that sum 50-150
/// products, i.e. a few float32 ulps).
const ATOL: f32 = 1e-5;
const RTOL: f32 = 1e-5;

const TRAIN: Mode = Mode { training: true };
const EVAL: Mode = Mode { training: false };

// ---- fixtures ---------------------------------------------------------------------------

/// A tensor as stored in the fixtures: shape and row-major values.
#[derive(Clone, Debug)]
struct Fix {
    shape: Vec<usize>,
    data: Vec<f32>,
}

impl Fix {
    fn from_json(v: &Value) -> Fix {
        let shape = v["shape"]
            .as_array()
            .expect("tensor shape")
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        let data = v["data"]
            .as_array()
            .expect("tensor data")
            .iter()
            .map(|x| x.as_f64().unwrap() as f32)
            .collect();
        Fix { shape, data }
    }

    fn dyn_tensor(&self) -> DynTensor {
        DynTensor::from_vec(self.data.clone(), &self.shape).unwrap()
    }

    fn tensor<const D: usize>(&self) -> Tensor<D> {
        assert_eq!(self.shape.len(), D, "fixture rank");
        Tensor::from_data(
            TensorData::new(self.data.clone(), self.shape.clone()),
            &device::current(),
        )
    }

    fn param<const D: usize>(&self) -> Param<Tensor<D>> {
        Param::from_tensor(self.tensor())
    }

    /// A [rows, cols] matrix transposed (PyTorch's Linear weight -> burn's layout and back).
    fn transposed(&self) -> Fix {
        let &[r, c] = self.shape.as_slice() else {
            panic!("transposed: not a matrix {:?}", self.shape)
        };
        let mut data = vec![0.0; r * c];
        for i in 0..r {
            for j in 0..c {
                data[j * r + i] = self.data[i * c + j];
            }
        }
        Fix {
            shape: vec![c, r],
            data,
        }
    }

    /// The same values with all dims flattened into one.
    fn flat(&self) -> Fix {
        Fix {
            shape: vec![self.data.len()],
            data: self.data.clone(),
        }
    }
}

struct Case {
    name: String,
    v: Value,
}

impl Case {
    fn t(&self, path: &[&str]) -> Fix {
        let mut v = &self.v;
        for p in path {
            v = &v[*p];
        }
        assert!(!v.is_null(), "{}: fixture has no {path:?}", self.name);
        Fix::from_json(v)
    }
    fn input(&self, k: &str) -> Fix {
        self.t(&["inputs", k])
    }
    fn param(&self, k: &str) -> Fix {
        self.t(&["params", k])
    }
    fn grad(&self, k: &str) -> Fix {
        self.t(&["grads", k])
    }
    fn cfg(&self, k: &str) -> f64 {
        self.v["config"][k]
            .as_f64()
            .unwrap_or_else(|| panic!("{}: config has no {k}", self.name))
    }
}

fn load(file: &str) -> Vec<Case> {
    common::use_test_device();
    let path = format!("{}/tests/fixtures/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: Value = serde_json::from_str(&text).unwrap();
    doc["cases"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, v)| Case {
            name: name.clone(),
            v: v.clone(),
        })
        .collect()
}

fn case(cases: &[Case], name: &str) -> Case {
    let c = cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no fixture case {name}"));
    Case {
        name: c.name.clone(),
        v: c.v.clone(),
    }
}

// ---- comparison -------------------------------------------------------------------------

/// Collects every mismatch of a test, so that one run reports all of them.
#[derive(Default)]
struct Check {
    failures: Vec<String>,
    compared: usize,
}

impl Check {
    fn close(&mut self, what: &str, got: &[f32], got_shape: &[usize], want: &Fix) {
        self.compared += 1;
        if got_shape != want.shape.as_slice() {
            self.failures.push(format!(
                "{what}: shape {got_shape:?}, expected {:?}",
                want.shape
            ));
            return;
        }
        let mut worst: Option<(usize, f32)> = None;
        let mut bad = 0;
        for (i, (&g, &w)) in got.iter().zip(&want.data).enumerate() {
            let err = (g - w).abs();
            let ok = err <= ATOL + RTOL * w.abs();
            if !ok || !g.is_finite() {
                bad += 1;
                if worst.is_none_or(|(_, e)| err > e || err.is_nan()) {
                    worst = Some((i, err));
                }
            }
        }
        if let Some((i, err)) = worst {
            self.failures.push(format!(
                "{what}: {bad}/{} values differ; worst at {i}: got {}, expected {} (|diff| {err:e})",
                want.data.len(),
                got[i],
                want.data[i]
            ));
        }
    }

    fn dyn_close(&mut self, what: &str, got: &DynTensor, want: &Fix) {
        self.close(what, &got.to_vec(), &got.shape(), want)
    }

    fn tensor_close<T: Ranked>(&mut self, what: &str, got: Option<T>, want: &Fix) {
        match got {
            Some(t) => self.dyn_close(what, &DynTensor::new(t), want),
            None => {
                self.compared += 1;
                self.failures.push(format!("{what}: no gradient"))
            }
        }
    }

    fn scalar_close(&mut self, what: &str, got: &DynTensor, want: f64) {
        let want = Fix {
            shape: vec![1],
            data: vec![want as f32],
        };
        self.close(what, &got.to_vec(), &got.shape(), &want)
    }

    fn finish(self, test: &str) {
        assert!(self.compared > 0, "{test}: nothing compared");
        if !self.failures.is_empty() {
            panic!(
                "{test}: {} of {} comparisons failed:\n  {}",
                self.failures.len(),
                self.compared,
                self.failures.join("\n  ")
            );
        }
    }
}

// ---- autodiff helpers -------------------------------------------------------------------

/// A leaf tensor whose gradient is wanted.
fn leaf(f: &Fix) -> DynTensor {
    f.dyn_tensor().require_grad()
}

/// Back-propagates `(out * R).sum()`.
fn backward_weighted(out: &DynTensor, r: &Fix) -> Gradients {
    let weighted = out
        .clone()
        .binary(r.dyn_tensor(), BinOp::Mul)
        .unwrap()
        .reduce(Reduce::Sum, None)
        .unwrap();
    weighted.ranked::<1>("backward").unwrap().backward()
}

/// Back-propagates a one-element loss.
fn backward_scalar(loss: &DynTensor) -> Gradients {
    loss.clone()
        .reshape(&[1])
        .unwrap()
        .ranked::<1>("backward")
        .unwrap()
        .backward()
}

fn grad_of(t: &DynTensor, grads: &Gradients) -> Option<DynTensor> {
    ganbook::with_rank!(t, x => x.grad(grads).map(DynTensor::new))
}

fn check_grad(check: &mut Check, what: &str, t: &DynTensor, grads: &Gradients, want: &Fix) {
    match grad_of(t, grads) {
        Some(g) => check.dyn_close(what, &g, want),
        None => {
            check.compared += 1;
            check.failures.push(format!("{what}: no gradient"))
        }
    }
}

/// Runs `layer` on the case's input `x`, then checks the output and the input gradient.
/// Returns the gradients, for the caller to check the parameters'.
fn run_layer(check: &mut Check, c: &Case, layer: &mut Layer, mode: Mode) -> Gradients {
    let x = leaf(&c.input("x"));
    let out = layer.forward(x.clone(), mode).unwrap();
    check.dyn_close(&format!("{} output", c.name), &out, &c.t(&["out"]));
    let grads = backward_weighted(&out, &c.t(&["R"]));
    check_grad(
        check,
        &format!("{} grad x", c.name),
        &x,
        &grads,
        &c.grad("x"),
    );
    grads
}

fn spec(c: &Case, bias: bool) -> ConvSpec {
    ConvSpec {
        kernel: c.cfg("kernel") as usize,
        stride: c.cfg("stride") as usize,
        padding: c.cfg("padding") as usize,
        dilation: c.cfg("dilation") as usize,
        output_padding: c.cfg("output_padding") as usize,
        bias,
    }
}

// ---- layers -----------------------------------------------------------------------------

#[test]
fn linear_matches_torch() {
    let cases = load("layers.json");
    let mut check = Check::default();
    for (name, with_bias) in [("linear_bias", true), ("linear_nobias", false)] {
        let c = case(&cases, name);
        let mut layer = Layer::Linear(Linear {
            // PyTorch's [out, in] weight is burn's [in, out] transposed.
            weight: c.param("weight").transposed().param(),
            bias: with_bias.then(|| c.param("bias").param()),
        });
        let grads = run_layer(&mut check, &c, &mut layer, TRAIN);
        let Layer::Linear(l) = &layer else {
            unreachable!()
        };
        let gw = l
            .weight
            .val()
            .grad(&grads)
            .map(|g| DynTensor::new(g.transpose()));
        match gw {
            Some(g) => check.dyn_close(&format!("{name} grad weight"), &g, &c.grad("weight")),
            None => check.failures.push(format!("{name} grad weight: none")),
        }
        if let Some(b) = &l.bias {
            check.tensor_close(
                &format!("{name} grad bias"),
                b.val().grad(&grads),
                &c.grad("bias"),
            );
        }
    }
    check.finish("linear");
}

/// Checks a convolution's weight and bias gradients against the fixture.
fn check_conv_grads(
    check: &mut Check,
    name: &str,
    weight: &Param<Tensor<4>>,
    bias: &Option<Param<Tensor<1>>>,
    grads: &Gradients,
    c: &Case,
) {
    check.tensor_close(
        &format!("{name} grad weight"),
        weight.val().grad(grads),
        &c.grad("weight"),
    );
    let gb = bias.as_ref().unwrap().val().grad(grads);
    check.tensor_close(&format!("{name} grad bias"), gb, &c.grad("bias"));
}

#[test]
fn convolutions_match_torch() {
    let cases = load("layers.json");
    let mut check = Check::default();
    for name in [
        "conv2d_s2_p1",
        "conv2d_dil2",
        "convt2d_k4_s2_p1",
        "convt2d_k3_s2_op1",
    ] {
        let c = case(&cases, name);
        let (weight, bias, spec) = (
            c.param("weight").param(),
            Some(c.param("bias").param()),
            spec(&c, true),
        );
        let mut layer = if name.starts_with("convt") {
            Layer::ConvTranspose2d(ConvTranspose2d { weight, bias, spec })
        } else {
            Layer::Conv2d(Conv2d { weight, bias, spec })
        };
        let grads = run_layer(&mut check, &c, &mut layer, TRAIN);
        match &layer {
            Layer::Conv2d(l) => check_conv_grads(&mut check, name, &l.weight, &l.bias, &grads, &c),
            Layer::ConvTranspose2d(l) => {
                check_conv_grads(&mut check, name, &l.weight, &l.bias, &grads, &c)
            }
            _ => unreachable!(),
        }
    }
    check.finish("convolutions");
}

#[test]
fn layer_norm_matches_torch() {
    let cases = load("layers.json");
    let mut check = Check::default();
    for name in ["layer_norm_last", "layer_norm_chw"] {
        let c = case(&cases, name);
        let shape: Vec<usize> = c.v["config"]["normalized_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_u64().unwrap() as usize)
            .collect();
        // ganbook keeps the affine parameters flat: [prod(normalized_shape)].
        let mut layer = Layer::LayerNorm(LayerNorm {
            weight: c.param("weight").flat().param(),
            bias: c.param("bias").flat().param(),
            shape,
            eps: 1e-5,
        });
        let grads = run_layer(&mut check, &c, &mut layer, TRAIN);
        let Layer::LayerNorm(l) = &layer else {
            unreachable!()
        };
        check.tensor_close(
            &format!("{name} grad weight"),
            l.weight.val().grad(&grads),
            &c.grad("weight").flat(),
        );
        check.tensor_close(
            &format!("{name} grad bias"),
            l.bias.val().grad(&grads),
            &c.grad("bias").flat(),
        );
    }
    check.finish("layer_norm");
}

#[test]
fn embedding_matches_torch() {
    let cases = load("layers.json");
    let mut check = Check::default();
    let c = case(&cases, "embedding");
    let mut layer = Layer::Embedding(Embedding {
        weight: c.param("weight").param(),
    });
    let out = layer.forward(c.input("x").dyn_tensor(), TRAIN).unwrap();
    check.dyn_close("embedding output", &out, &c.t(&["out"]));
    let grads = backward_weighted(&out, &c.t(&["R"]));
    let Layer::Embedding(l) = &layer else {
        unreachable!()
    };
    check.tensor_close(
        "embedding grad weight (repeated indices)",
        l.weight.val().grad(&grads),
        &c.grad("weight"),
    );
    check.finish("embedding");
}

#[test]
fn activations_and_upsample_match_torch() {
    let cases = load("layers.json");
    let mut check = Check::default();
    let ops = [
        ("act_relu", Op::Relu),
        ("act_leaky_relu", Op::LeakyRelu(0.2)),
        ("act_gelu", Op::Gelu),
        ("act_tanh", Op::Tanh),
        ("act_sigmoid", Op::Sigmoid),
        ("upsample_nearest2", Op::Upsample(2)),
    ];
    for (name, op) in ops {
        let c = case(&cases, name);
        let mut layer = Layer::Stateless(Stateless::new(op).unwrap());
        run_layer(&mut check, &c, &mut layer, TRAIN);
    }
    check.finish("activations");
}

#[test]
fn softmax_matches_torch() {
    let cases = load("layers.json");
    let mut check = Check::default();
    for (name, log) in [
        ("softmax_dim1", false),
        ("log_softmax_dim1", true),
        ("softmax_dim1_rank3", false),
    ] {
        let c = case(&cases, name);
        let x = leaf(&c.input("x"));
        let out = x.clone().softmax(c.cfg("dim") as i64, log).unwrap();
        check.dyn_close(&format!("{name} output"), &out, &c.t(&["out"]));
        let grads = backward_weighted(&out, &c.t(&["R"]));
        check_grad(
            &mut check,
            &format!("{name} grad x"),
            &x,
            &grads,
            &c.grad("x"),
        );
    }
    check.finish("softmax");
}

// ---- batch norm -------------------------------------------------------------------------

fn batch_norm(c: &Case) -> BatchNorm {
    let frozen = |f: Fix| f.param::<1>().set_require_grad(false);
    BatchNorm {
        weight: c.param("weight").param(),
        bias: c.param("bias").param(),
        running_mean: frozen(c.param("running_mean")),
        running_var: frozen(c.param("running_var")),
        momentum: c.cfg("momentum"),
        eps: c.cfg("eps"),
    }
}

fn check_bn_params(check: &mut Check, c: &Case, layer: &Layer, grads: &Gradients) {
    let Layer::BatchNorm(l) = layer else {
        unreachable!()
    };
    check.tensor_close(
        &format!("{} grad weight", c.name),
        l.weight.val().grad(grads),
        &c.grad("weight"),
    );
    check.tensor_close(
        &format!("{} grad bias", c.name),
        l.bias.val().grad(grads),
        &c.grad("bias"),
    );
}

fn check_running(check: &mut Check, c: &Case, layer: &Layer, pass: usize) {
    let Layer::BatchNorm(l) = layer else {
        unreachable!()
    };
    for (stat, p) in [("mean", &l.running_mean), ("var", &l.running_var)] {
        let key = format!("running_{stat}_{pass}");
        check.dyn_close(
            &format!("{} {key}", c.name),
            &DynTensor::new(p.val()),
            &c.t(&[&key]),
        );
    }
}

#[test]
fn batch_norm_train_matches_torch() {
    let cases = load("batch_norm.json");
    let mut check = Check::default();
    for name in ["bn1d_train", "bn2d_train"] {
        let c = case(&cases, name);
        let mut layer = Layer::BatchNorm(batch_norm(&c));
        let grads = run_layer(&mut check, &c, &mut layer, TRAIN);
        check_bn_params(&mut check, &c, &layer, &grads);
        check_running(&mut check, &c, &layer, 1);
        let out2 = layer.forward(c.input("x2").dyn_tensor(), TRAIN).unwrap();
        check.dyn_close(&format!("{name} second output"), &out2, &c.t(&["out2"]));
        check_running(&mut check, &c, &layer, 2);
    }
    check.finish("batch_norm train");
}

#[test]
fn batch_norm_eval_matches_torch() {
    let cases = load("batch_norm.json");
    let mut check = Check::default();
    for name in ["bn1d_eval", "bn2d_eval"] {
        let c = case(&cases, name);
        let mut layer = Layer::BatchNorm(batch_norm(&c));
        let grads = run_layer(&mut check, &c, &mut layer, EVAL);
        check_bn_params(&mut check, &c, &layer, &grads);
        // Evaluation leaves the running statistics alone.
        let Layer::BatchNorm(l) = &layer else {
            unreachable!()
        };
        check.dyn_close(
            &format!("{name} running_mean kept"),
            &DynTensor::new(l.running_mean.val()),
            &c.param("running_mean"),
        );
        check.dyn_close(
            &format!("{name} running_var kept"),
            &DynTensor::new(l.running_var.val()),
            &c.param("running_var"),
        );
    }
    check.finish("batch_norm eval");
}

// ---- losses -----------------------------------------------------------------------------

/// Checks a loss value and the gradients of the loss w.r.t. the named leaves.
fn check_loss(check: &mut Check, c: &Case, loss: &DynTensor, leaves: &[(&str, &DynTensor)]) {
    let want = c.v["loss"].as_f64().expect("loss value");
    check.scalar_close(&format!("{} loss", c.name), loss, want);
    let grads = backward_scalar(loss);
    for (k, t) in leaves {
        check_grad(
            check,
            &format!("{} grad {k}", c.name),
            t,
            &grads,
            &c.grad(k),
        );
    }
}

#[test]
fn bce_matches_torch() {
    let cases = load("losses.json");
    let mut check = Check::default();
    let c = case(&cases, "bce_tensor");
    let p = leaf(&c.input("p"));
    let t = Target::Tensor(c.input("target").dyn_tensor());
    check_loss(&mut check, &c, &loss::bce(&p, &t).unwrap(), &[("p", &p)]);

    let c = case(&cases, "bce_target_grad");
    let p = leaf(&c.input("p"));
    let target = leaf(&c.input("target"));
    let t = Target::Tensor(target.clone());
    let value = loss::bce(&p, &t).unwrap();
    check_loss(&mut check, &c, &value, &[("p", &p), ("target", &target)]);

    let c = case(&cases, "bce_const");
    let p = leaf(&c.input("p"));
    let t = Target::Value(c.cfg("target"));
    check_loss(&mut check, &c, &loss::bce(&p, &t).unwrap(), &[("p", &p)]);
    check.finish("bce");
}

#[test]
fn bce_logits_matches_torch() {
    let cases = load("losses.json");
    let mut check = Check::default();
    let c = case(&cases, "bce_logits_tensor");
    let x = leaf(&c.input("x"));
    let target = leaf(&c.input("target"));
    let t = Target::Tensor(target.clone());
    let value = loss::bce_logits(&x, &t).unwrap();
    check_loss(&mut check, &c, &value, &[("x", &x), ("target", &target)]);

    let c = case(&cases, "bce_logits_const");
    let x = leaf(&c.input("x"));
    let t = Target::Value(c.cfg("target"));
    check_loss(
        &mut check,
        &c,
        &loss::bce_logits(&x, &t).unwrap(),
        &[("x", &x)],
    );
    check.finish("bce_logits");
}

#[test]
fn regression_losses_match_torch() {
    let cases = load("losses.json");
    let mut check = Check::default();
    for name in ["mse", "l1"] {
        let c = case(&cases, name);
        let a = leaf(&c.input("a"));
        let b = leaf(&c.input("b"));
        let t = Target::Tensor(b.clone());
        let value = match name {
            "mse" => loss::mse(&a, &t),
            _ => loss::l1(&a, &t),
        }
        .unwrap();
        check_loss(&mut check, &c, &value, &[("a", &a), ("b", &b)]);
    }
    check.finish("mse/l1");
}

#[test]
fn cross_entropy_matches_torch() {
    let cases = load("losses.json");
    let mut check = Check::default();
    let c = case(&cases, "cross_entropy");
    let logits = leaf(&c.input("logits"));
    let labels = Labels::PerRow(c.input("labels").dyn_tensor());
    let value = loss::cross_entropy(&logits, &labels).unwrap();
    check_loss(&mut check, &c, &value, &[("logits", &logits)]);
    check.finish("cross_entropy");
}

#[test]
fn gan_losses_match_torch() {
    let cases = load("losses.json");
    let mut check = Check::default();

    let c = case(&cases, "hinge_d");
    let (real, fake) = (leaf(&c.input("real")), leaf(&c.input("fake")));
    let value = loss::hinge_d(&real, &fake).unwrap();
    check_loss(&mut check, &c, &value, &[("real", &real), ("fake", &fake)]);

    let c = case(&cases, "wasserstein_d");
    let (real, fake) = (leaf(&c.input("real")), leaf(&c.input("fake")));
    let value = loss::wasserstein_d(&real, &fake).unwrap();
    check_loss(&mut check, &c, &value, &[("real", &real), ("fake", &fake)]);

    let c = case(&cases, "hinge_g");
    let fake = leaf(&c.input("fake"));
    let value = loss::hinge_g(&fake).unwrap();
    check_loss(&mut check, &c, &value, &[("fake", &fake)]);

    let c = case(&cases, "wasserstein_g");
    let fake = leaf(&c.input("fake"));
    let value = loss::wasserstein_g(&fake).unwrap();
    check_loss(&mut check, &c, &value, &[("fake", &fake)]);
    check.finish("gan losses");
}

// ---- optimizers -------------------------------------------------------------------------

fn two_linears(c: &Case) -> Sequential {
    let init = |k: &str| c.t(&["init", k]);
    let linear = |w: &str, b: &str| {
        Layer::Linear(Linear {
            weight: init(w).transposed().param(),
            bias: Some(init(b).param()),
        })
    };
    Sequential::new(vec![linear("w1", "b1"), linear("w2", "b2")])
}

/// Trains the case's model for as many steps as the fixture has, comparing the parameters
/// after each step.
fn check_trajectory(check: &mut Check, c: &Case, algorithm: Algorithm, lr: f64) {
    let mut seq = two_linears(c);
    let mut opt = Optimizer::new(algorithm, lr).unwrap();
    let x = c.t(&["x"]).dyn_tensor();
    let steps = c.v["steps"].as_array().unwrap();
    for (i, step) in steps.iter().enumerate() {
        let out = seq.forward(x.clone(), TRAIN).unwrap();
        let loss = out.unary(Unary::Square).reduce(Reduce::Sum, None).unwrap();
        opt.step(&mut [&mut seq], &loss).unwrap();
        for (layer, (w, b)) in seq.layers.iter().zip([("w1", "b1"), ("w2", "b2")]) {
            let Layer::Linear(l) = layer else {
                unreachable!()
            };
            let weight = DynTensor::new(l.weight.val().transpose());
            check.dyn_close(
                &format!("{} step {} {w}", c.name, i + 1),
                &weight,
                &Fix::from_json(&step[w]),
            );
            let bias = DynTensor::new(l.bias.as_ref().unwrap().val());
            check.dyn_close(
                &format!("{} step {} {b}", c.name, i + 1),
                &bias,
                &Fix::from_json(&step[b]),
            );
        }
    }
}

fn betas(c: &Case) -> (f64, f64) {
    let b = c.v["config"]["betas"].as_array().unwrap();
    (b[0].as_f64().unwrap(), b[1].as_f64().unwrap())
}

fn config_or(c: &Case, k: &str, default: f64) -> f64 {
    c.v["config"][k].as_f64().unwrap_or(default)
}

#[test]
fn adam_matches_torch() {
    let cases = load("optim.json");
    let mut check = Check::default();
    for name in ["adam", "adam_wd"] {
        let c = case(&cases, name);
        let algorithm = Algorithm::Adam {
            betas: betas(&c),
            eps: 1e-8,
            weight_decay: config_or(&c, "weight_decay", 0.0),
        };
        check_trajectory(&mut check, &c, algorithm, c.cfg("lr"));
    }
    check.finish("adam");
}

#[test]
fn sgd_matches_torch() {
    let cases = load("optim.json");
    let mut check = Check::default();
    for name in ["sgd", "sgd_momentum"] {
        let c = case(&cases, name);
        let algorithm = Algorithm::Sgd {
            momentum: config_or(&c, "momentum", 0.0),
            weight_decay: 0.0,
        };
        check_trajectory(&mut check, &c, algorithm, c.cfg("lr"));
    }
    check.finish("sgd");
}

#[test]
fn rmsprop_matches_torch() {
    let cases = load("optim.json");
    let mut check = Check::default();
    let c = case(&cases, "rmsprop");
    let algorithm = Algorithm::RmsProp {
        alpha: c.cfg("alpha"),
        eps: 1e-8,
        weight_decay: 0.0,
    };
    check_trajectory(&mut check, &c, algorithm, c.cfg("lr"));
    check.finish("rmsprop");
}

// ---- the EMA generator ----------------------------------------------------------------

/// linear(3, 4) -> batch_norm(4) -> relu -> linear(4, 2) from the fixture's PyTorch names.
fn ema_net(init: &dyn Fn(&str) -> Fix) -> Sequential {
    let linear = |i: usize| {
        Layer::Linear(Linear {
            weight: init(&format!("{i}.weight")).transposed().param(),
            bias: Some(init(&format!("{i}.bias")).param()),
        })
    };
    let mut bn = BatchNorm::new(4);
    bn.weight = init("1.weight").param();
    bn.bias = init("1.bias").param();
    Sequential::new(vec![
        linear(0),
        Layer::BatchNorm(bn),
        Layer::Stateless(Stateless { op: Op::Relu }),
        linear(3),
    ])
}

#[test]
fn ema_matches_torch() {
    use ganbook::nn::ema;
    let cases = load("ema.json");
    let c = case(&cases, "ema");
    let mut check = Check::default();
    let mut g = ema_net(&|k| c.t(&["init", k]));
    let mut average = ema::start(&g);
    let mut opt = Optimizer::new(
        Algorithm::Sgd {
            momentum: 0.0,
            weight_decay: 0.0,
        },
        c.cfg("lr"),
    )
    .unwrap();
    let x = c.t(&["x"]).dyn_tensor();
    for (i, step) in c.v["steps"].as_array().unwrap().iter().enumerate() {
        let out = g.forward(x.clone(), TRAIN).unwrap();
        let loss = out.unary(Unary::Square).reduce(Reduce::Sum, None).unwrap();
        opt.step(&mut [&mut g], &loss).unwrap();
        average = ema::update(average, &g, c.cfg("decay")).unwrap();
        let want = |k: &str| Fix::from_json(&step[k]);
        let what = |k: &str| format!("ema step {} {k}", i + 1);
        for (at, name) in [(0, "0"), (3, "3")] {
            let Layer::Linear(l) = &average.layers[at] else {
                unreachable!()
            };
            let w = DynTensor::new(l.weight.val().transpose());
            check.dyn_close(
                &what(&format!("{name}.weight")),
                &w,
                &want(&format!("{name}.weight")),
            );
            let b = DynTensor::new(l.bias.as_ref().unwrap().val());
            check.dyn_close(
                &what(&format!("{name}.bias")),
                &b,
                &want(&format!("{name}.bias")),
            );
        }
        let Layer::BatchNorm(bn) = &average.layers[1] else {
            unreachable!()
        };
        for (k, p) in [
            ("1.weight", &bn.weight),
            ("1.bias", &bn.bias),
            ("1.running_mean", &bn.running_mean),
            ("1.running_var", &bn.running_var),
        ] {
            check.dyn_close(&what(k), &DynTensor::new(p.val()), &want(k));
        }
    }
    check.finish("ema");
}

// ---- spectral norm ----------------------------------------------------------------------

/// The case's layer wrapped in spectral norm, with PyTorch's u and v.
fn spectral_norm(c: &Case) -> SpectralNorm {
    let (w, b) = (c.param("weight"), Some(c.param("bias").param()));
    let inner = match c.name.as_str() {
        "linear" => Normed::Linear(Linear {
            weight: w.transposed().param(),
            bias: b,
        }),
        "conv2d" => Normed::Conv2d(Conv2d {
            weight: w.param(),
            bias: b,
            spec: spec(c, true),
        }),
        _ => Normed::ConvTranspose2d(ConvTranspose2d {
            weight: w.param(),
            bias: b,
            spec: spec(c, true),
        }),
    };
    let buffer = |f: Fix| f.param::<1>().set_require_grad(false);
    SpectralNorm {
        inner,
        u: buffer(c.param("u")),
        v: buffer(c.param("v")),
    }
}

#[test]
fn spectral_norm_matches_torch() {
    let cases = load("spectral_norm.json");
    let mut check = Check::default();
    for c in &cases {
        let mut layer = Layer::SpectralNorm(spectral_norm(c));
        // training: one power iteration, then W / sigma
        let grads = run_layer(&mut check, c, &mut layer, TRAIN);
        let Layer::SpectralNorm(sn) = &layer else {
            unreachable!()
        };
        let after = |k: &str| c.t(&["after", k]);
        check.dyn_close(
            &format!("{} u", c.name),
            &DynTensor::new(sn.u.val()),
            &after("u"),
        );
        check.dyn_close(
            &format!("{} v", c.name),
            &DynTensor::new(sn.v.val()),
            &after("v"),
        );
        let sigma = DynTensor::new(sn.sigma());
        check.dyn_close(&format!("{} sigma", c.name), &sigma, &after("sigma"));
        let (weight, bias) = match &sn.inner {
            Normed::Linear(l) => (
                DynTensor::new(l.weight.val()),
                l.bias.as_ref().unwrap().val(),
            ),
            Normed::Conv2d(l) => (
                DynTensor::new(l.weight.val()),
                l.bias.as_ref().unwrap().val(),
            ),
            Normed::ConvTranspose2d(l) => (
                DynTensor::new(l.weight.val()),
                l.bias.as_ref().unwrap().val(),
            ),
        };
        let want_w = match c.name.as_str() {
            "linear" => c.grad("weight").transposed(),
            _ => c.grad("weight"),
        };
        check_grad(
            &mut check,
            &format!("{} grad weight", c.name),
            &weight,
            &grads,
            &want_w,
        );
        let bias = DynTensor::new(bias);
        check_grad(
            &mut check,
            &format!("{} grad bias", c.name),
            &bias,
            &grads,
            &c.grad("bias"),
        );
        // evaluation: the stored u and v, no iteration
        let out = layer.forward(c.input("x").dyn_tensor(), EVAL).unwrap();
        check.dyn_close(
            &format!("{} eval output", c.name),
            &out,
            &c.t(&["out_eval"]),
        );
    }
    check.finish("spectral norm");
}

// ---- the R1 penalty -------------------------------------------------------------------

/// The case's critic from PyTorch's parameters, and its parameters by PyTorch's names.
fn r1_critic(c: &Case) -> (Sequential, Vec<(String, DynTensor)>) {
    let p = |k: &str| c.param(k);
    let mut named = Vec::new();
    let mut linear = |i: usize| {
        let l = Linear {
            weight: p(&format!("{i}.weight")).transposed().param(),
            bias: Some(p(&format!("{i}.bias")).param()),
        };
        named.push((format!("{i}.weight"), DynTensor::new(l.weight.val())));
        named.push((
            format!("{i}.bias"),
            DynTensor::new(l.bias.as_ref().unwrap().val()),
        ));
        Layer::Linear(l)
    };
    let leaky = Layer::Stateless(Stateless {
        op: Op::LeakyRelu(0.2),
    });
    let layers = if c.name == "mlp" {
        vec![linear(0), leaky, linear(2)]
    } else {
        let last = linear(3);
        let conv = Conv2d {
            weight: p("0.weight").param(),
            bias: Some(p("0.bias").param()),
            spec: ConvSpec {
                stride: 2,
                padding: 1,
                ..ConvSpec::new(3)
            },
        };
        named.push(("0.weight".into(), DynTensor::new(conv.weight.val())));
        named.push((
            "0.bias".into(),
            DynTensor::new(conv.bias.as_ref().unwrap().val()),
        ));
        let flatten = Layer::Stateless(Stateless { op: Op::Flatten });
        vec![Layer::Conv2d(conv), leaky, flatten, last]
    };
    (Sequential::new(layers), named)
}

#[test]
fn r1_penalty_matches_torchs_double_backward() {
    let cases = load("r1.json");
    let mut check = Check::default();
    for c in &cases {
        let (mut critic, named) = r1_critic(c);
        let r1 =
            ganbook::nn::r1::r1_penalty(&mut critic, &c.input("x").dyn_tensor(), None).unwrap();
        check.dyn_close(
            &format!("{} r1", c.name),
            &r1.clone().reshape(&[1]).unwrap(),
            &c.t(&["r1"]),
        );
        let grads = backward_scalar(&r1);
        for (name, t) in &named {
            let what = format!("{} grad {name}", c.name);
            let want = c.v["grads"].get(name).map(Fix::from_json);
            match (grad_of(t, &grads), want) {
                // a linear's weight is stored [in, out]: compare in PyTorch's layout
                (Some(g), Some(w)) if t.shape().len() == 2 => {
                    let g = DynTensor::new(g.ranked::<2>("grad").unwrap().transpose());
                    check.dyn_close(&what, &g, &w)
                }
                (Some(g), Some(w)) => check.dyn_close(&what, &g, &w),
                // no path to the input gradient here: PyTorch's is zero or absent
                (None, Some(w)) => {
                    assert!(w.data.iter().all(|v| *v == 0.0), "{what}: {:?}", w.data)
                }
                (None, None) => {}
                (Some(_), None) => panic!("{what}: PyTorch has no gradient"),
            }
        }
    }
    check.finish("r1");
}
