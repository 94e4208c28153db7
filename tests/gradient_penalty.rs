//! The gradient penalty's hand-written input gradient against autodiff, and the penalty's
//! weight gradient (which needs the second-order terms) against finite differences.

mod common;

use burn::module::Param;
use burn::tensor::{Distribution, Tensor};
use ganbook::nn::gradient_penalty::penalty_of;
use ganbook::nn::input_gradient::input_gradient;
use ganbook::nn::{Layer, Mode, Sequential};
use ganbook::script::bare_engine;
use ganbook::script::model_fns::Model;
use ganbook::tensor::{DynTensor, Reduce};

const CRITIC: &str = "sequential([
    conv2d(2, 4, 3, #{stride: 2, padding: 1}), leaky_relu(0.2),
    layer_norm([4, 4, 4]), conv2d(4, 3, 3), tanh(),
    flatten(), linear(12, 5), relu(), linear(5, 1), sigmoid()])";

/// The same critic with smooth activations only: finite differences of the penalty jump where
/// a ReLU's input crosses zero (the mask flips), so they are checked on this one.
const SMOOTH_CRITIC: &str = "sequential([
    conv2d(2, 4, 3, #{stride: 2, padding: 1}), tanh(),
    layer_norm([4, 4, 4]), conv2d(4, 3, 3), tanh(),
    flatten(), linear(12, 5), sigmoid(), linear(5, 1), sigmoid()])";

fn critic() -> Sequential {
    build(CRITIC)
}

fn build(src: &str) -> Sequential {
    common::use_test_device();
    let m: Model = bare_engine().0.eval(src).unwrap();
    m.state().seq.clone()
}

fn input() -> DynTensor {
    DynTensor::random(&[3, 2, 7, 7], Distribution::Normal(0.0, 1.0)).unwrap()
}

#[test]
fn input_gradient_matches_autodiff() {
    let mut seq = critic();
    let x = input();
    let manual = input_gradient(&mut seq, x.clone(), None).unwrap();
    let leaf = x.detach().require_grad();
    let out = seq.forward(leaf.clone(), Mode { training: true }).unwrap();
    let grads = out
        .reduce(Reduce::Sum, None)
        .unwrap()
        .ranked::<1>("sum")
        .unwrap()
        .backward();
    let auto = DynTensor::new(leaf.ranked::<4>("x").unwrap().grad(&grads).unwrap());
    assert_eq!(manual.shape(), auto.shape());
    let (m, a) = (manual.to_vec(), auto.to_vec());
    let scale = a.iter().fold(0f32, |s, v| s.max(v.abs()));
    assert!(scale > 1e-4, "gradient vanished: {scale}");
    for (i, (p, q)) in m.iter().zip(&a).enumerate() {
        assert!(
            (p - q).abs() <= 1e-5 + 1e-4 * scale,
            "x grad [{i}]: {p} vs {q}"
        );
    }
}

/// The penalty at fixed points: mean over samples of (|d sum D / dx| - 1)^2.
fn penalty(seq: &mut Sequential, x: &DynTensor) -> DynTensor {
    penalty_of(input_gradient(seq, x.clone(), None).unwrap()).unwrap()
}

fn with_weight(seq: &Sequential, layer: usize, w: Tensor<2>) -> Sequential {
    let mut s = seq.clone();
    let Layer::Linear(l) = &mut s.layers[layer] else {
        panic!("not linear")
    };
    l.weight = Param::initialized(l.weight.id, w.require_grad());
    s
}

#[test]
fn penalty_weight_gradient_matches_finite_differences() {
    let seq = build(SMOOTH_CRITIC);
    let x = input().mul_scalar(0.5);
    // Autodiff of the penalty with respect to the first linear layer's weight [12, 5].
    let mut s = seq.clone();
    let p = penalty(&mut s, &x).ranked::<1>("p").unwrap();
    let grads = p.backward();
    let Layer::Linear(l) = &s.layers[6] else {
        panic!()
    };
    let w = l.weight.val();
    let auto = DynTensor::new(w.grad(&grads).expect("the penalty reaches the weights")).to_vec();
    let base = DynTensor::new(w.clone().detach()).to_vec();
    let h = 1e-2f32;
    let mut checked = 0;
    for k in [0usize, 7, 13, 22, 31, 44, 58] {
        let perturbed = |d: f32| {
            let mut v = base.clone();
            v[k] += d;
            let t = DynTensor::from_vec(v, &[12, 5])
                .unwrap()
                .ranked::<2>("w")
                .unwrap();
            penalty(&mut with_weight(&seq, 6, t), &x).item().unwrap() as f32
        };
        let fd = (perturbed(h) - perturbed(-h)) / (2.0 * h);
        let tol = 2e-3 + 5e-2 * fd.abs().max(auto[k].abs());
        assert!(
            (fd - auto[k]).abs() <= tol,
            "w[{k}]: finite difference {fd} vs autodiff {}",
            auto[k]
        );
        checked += (fd.abs() > 1e-4) as usize;
    }
    assert!(checked >= 3, "too few non-zero gradients checked");
}

#[test]
fn batch_norm_critics_are_refused() {
    common::use_test_device();
    let e = bare_engine().0;
    let err = e
        .eval::<DynTensor>(
            "let D = sequential([linear(2, 4), batch_norm(4), linear(4, 1)]);
             gradient_penalty(D, randn([8, 2]), randn([8, 2]))",
        )
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("layer 1 (batch_norm(4))") && err.contains("layer_norm"),
        "{err}"
    );
    let gp: f64 = e
        .eval("let D = sequential([linear(2, 8), leaky_relu(0.2), linear(8, 1)]); gradient_penalty(D, randn([8, 2]), randn([8, 2])).item()")
        .unwrap();
    assert!(gp.is_finite() && gp >= 0.0);
}
