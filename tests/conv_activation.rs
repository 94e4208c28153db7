//! Golden tests: ganbook's activations (crates/ganbook-core/src/nn/kernels/activation.rs)
//! against burn's, forward and backward. (File name: the conv_* tests are the layer-kernel golden tests.)

use burn::tensor::activation::{leaky_relu, relu, sigmoid, tanh};
use burn::tensor::{Distribution, Tensor};
use ganbook::nn::kernels::activation::{self, Activation};
use ganbook::nn::stateless::Op;
use ganbook::tensor::DynTensor;

/// Compares ours with `plain` on the same input, forward and input gradient, twice: with the
/// input held elsewhere too (a new output buffer) and as a fresh tensor nothing else holds
/// (computed in place).
fn check(op: Op, plain: fn(Tensor<3>) -> Tensor<3>) {
    let dev = ganbook::device::current();
    let x = Tensor::<3>::random([3, 70, 41], Distribution::Normal(0.0, 2.0), &dev);
    let n = 3 * 70 * 41;
    let v: Vec<f32> = (0..n)
        .map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5)
        .collect();
    let weights = Tensor::<1>::from_floats(v.as_slice(), &dev).reshape([3, 70, 41]);
    let values = |t: Tensor<3>| t.into_data().iter::<f32>().collect::<Vec<_>>();

    let x2 = x.clone().require_grad();
    let theirs = plain(x2.clone());
    let g2 = (theirs.clone() * weights.clone()).sum().backward();
    let (want_y, want_dx) = (values(theirs.detach()), values(x2.grad(&g2).unwrap()));

    for fresh in [false, true] {
        let x1 = x.clone().require_grad();
        let input = if fresh { x1.clone() * 1.0 } else { x1.clone() };
        let kind = op
            .cpu_kernel()
            .unwrap_or_else(|| panic!("{op:?}: no own kernel"));
        let ours = activation::forward(DynTensor::new(input), kind)
            .unwrap_or_else(|_| panic!("{op:?}: own kernel not taken"))
            .ranked::<3>("test")
            .unwrap();
        let g1 = (ours.clone() * weights.clone()).sum().backward();
        let pairs = [
            ("output", values(ours.detach()), &want_y),
            ("d input", values(x1.grad(&g1).unwrap()), &want_dx),
        ];
        for (what, a, b) in pairs {
            for (i, (a, b)) in a.iter().zip(b).enumerate() {
                assert!(
                    (a - b).abs() <= 1e-5 * b.abs().max(1.0),
                    "{op:?} (fresh input: {fresh}) {what}[{i}]: {a} vs {b}"
                );
            }
        }
    }
}

#[test]
fn activations_match_burn() {
    check(Op::Relu, relu);
    check(Op::LeakyRelu(0.2), |x| leaky_relu(x, 0.2));
    check(Op::LeakyRelu(-0.1), |x| leaky_relu(x, -0.1));
    check(Op::Tanh, tanh);
    check(Op::Sigmoid, sigmoid);
}

#[test]
fn other_ops_are_left_to_burn() {
    let dev = ganbook::device::current();
    assert!(Op::Gelu.cpu_kernel().is_none());
    assert!(Op::Flatten.cpu_kernel().is_none());
    // and a tensor that is not float32 is given back to burn
    let x = DynTensor::new(Tensor::<2>::zeros([2, 3], &dev).cast(burn::tensor::DType::F64));
    assert!(activation::forward(x, Activation::Tanh).is_err());
}
