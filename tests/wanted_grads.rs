//! crates/ganbook-core/src/nn/kernels/wanted_grads.rs: an optimizer step computes weight gradients only for the leaves
//! it updates; every other gradient stays exactly as before.

use burn::backend::autodiff::NodeId;
use burn::tensor::{Distribution, Tensor};
use ganbook::nn::conv::ConvSpec;
use ganbook::nn::kernels::conv_gemm;
use ganbook::nn::kernels::flex::flex_f32;
use ganbook::nn::kernels::wanted_grads::with_wanted;
use std::collections::HashSet;

fn random<const D: usize>(shape: [usize; D]) -> Tensor<D> {
    let dev = ganbook::device::current();
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), &dev).require_grad()
}

fn id(t: &Tensor<4>) -> NodeId {
    flex_f32(t).expect("a flex tensor").id()
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

fn strided() -> ConvSpec {
    ConvSpec {
        stride: 2,
        padding: 1,
        ..ConvSpec::new(4)
    }
}

/// The input and the two weights of [`loss`], all asking for gradients.
fn leaves() -> (Tensor<4>, Tensor<4>, Tensor<4>) {
    (
        random([2, 3, 8, 8]),
        random([3, 4, 4, 4]),
        random([5, 4, 4, 4]),
    )
}

/// x [2, 3, 8, 8] -> conv_transpose2d(w1) [2, 4, 16, 16] -> conv2d(w2 · 2) [2, 5, 8, 8], summed.
fn loss(x: &Tensor<4>, w1: &Tensor<4>, w2: &Tensor<4>) -> Tensor<1> {
    let h = conv_gemm::conv_transpose2d(x.clone(), w1.clone(), None, &strided());
    conv_gemm::conv2d(h, w2.clone() * 2.0, None, &strided()).sum()
}

#[test]
fn only_wanted_leaves_get_weight_gradients() {
    let (x, w1, w2) = leaves();
    let all = loss(&x, &w1, &w2).backward();
    // w1 not wanted: left out; w2 not wanted either, but it reaches its conv through a
    // multiplication (not a leaf there), so its gradient is still computed; x's too
    let wanted = HashSet::from([id(&x)]);
    let some = with_wanted(wanted, || loss(&x, &w1, &w2).backward());
    assert!(
        w1.grad(&all).is_some(),
        "w1 has a gradient without a wanted set"
    );
    assert!(
        w1.grad(&some).is_none(),
        "w1 was not wanted but got a gradient"
    );
    for (name, t) in [("x", &x), ("w2", &w2)] {
        let (a, b) = (t.grad(&all), t.grad(&some));
        let (a, b) = (
            a.expect(name),
            b.unwrap_or_else(|| panic!("{name}: no gradient")),
        );
        assert_eq!(values(b), values(a), "{name}: the gradient changed");
    }
    // the setting ends with the call
    let after = loss(&x, &w1, &w2).backward();
    assert!(
        w1.grad(&after).is_some(),
        "the wanted set outlived with_wanted"
    );
}

#[test]
fn a_wanted_weight_gets_the_same_gradient() {
    let (x, w1, w2) = leaves();
    let all = loss(&x, &w1, &w2).backward();
    let some = with_wanted(HashSet::from([id(&w1)]), || loss(&x, &w1, &w2).backward());
    let (a, b) = (
        w1.grad(&all).unwrap(),
        w1.grad(&some).expect("w1 was wanted"),
    );
    assert_eq!(values(b), values(a), "w1: the gradient changed");
}
