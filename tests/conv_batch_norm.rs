//! Golden tests: ganbook's BatchNorm training pass (crates/ganbook-core/src/nn/kernels/batch_norm.rs) against burn's
//! `batch_norm_train`, forward (output, mean, variance) and backward (input, gamma, beta).

mod common;
use common::assert_close;

use burn::tensor::{Distribution, Tensor};
use ganbook::nn::kernels::batch_norm;

fn random<const D: usize>(shape: [usize; D], mean: f64) -> Tensor<D> {
    let dev = ganbook::device::current();
    Tensor::random(shape, Distribution::Normal(mean, 2.0), &dev)
}

fn check<const D: usize>(shape: [usize; D]) {
    let c = shape[1];
    let (x, gamma, beta) = (random(shape, 3.0), random([c], 1.0), random([c], 0.0));
    assert!(batch_norm::applies(&x), "{shape:?}: own path not taken");
    let n = shape.iter().product::<usize>();
    let dev = ganbook::device::current();
    let v: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5)
        .collect();
    let weights = Tensor::<1>::from_floats(v.as_slice(), &dev).reshape(shape);
    let leaves = || {
        (
            x.clone().require_grad(),
            gamma.clone().require_grad(),
            beta.clone().require_grad(),
        )
    };

    let (x1, g1, b1) = leaves();
    let ours = batch_norm::batch_norm_train(x1.clone(), g1.clone(), b1.clone(), 1e-5);
    let grads = (ours.output.clone() * weights.clone()).sum().backward();
    let (x2, g2, b2) = leaves();
    let plain = burn::tensor::module::batch_norm_train(x2.clone(), g2.clone(), b2.clone(), 1e-5);
    let plain_grads = (plain.output.clone() * weights).sum().backward();

    let what = |s: &str| format!("{shape:?} {s}");
    assert_close(&what("output"), ours.output.detach(), plain.output.detach());
    assert_close(&what("mean"), ours.mean, plain.mean.detach());
    assert_close(&what("variance"), ours.variance, plain.variance.detach());
    let d = |t: &Tensor<D>, g| t.grad(g).unwrap();
    assert_close(&what("d input"), d(&x1, &grads), d(&x2, &plain_grads));
    let d1 = |t: &Tensor<1>, g| t.grad(g).unwrap();
    assert_close(&what("d gamma"), d1(&g1, &grads), d1(&g2, &plain_grads));
    assert_close(&what("d beta"), d1(&b1, &grads), d1(&b2, &plain_grads));
}

#[test]
fn batch_norm_matches_burn() {
    check([4, 3, 5, 7]);
    check([2, 5, 1, 1]);
    check([3, 4, 9]);
    check([6, 4]);
    check([2, 3, 4, 4]);
}
