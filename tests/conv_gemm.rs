//! Golden tests: ganbook's GEMM convolutions (crates/ganbook-core/src/nn/kernels/conv_gemm.rs) against burn's own
//! conv2d / conv_transpose2d, forward and backward (input, weight and bias gradients).

mod common;
use common::assert_close;

use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Distribution, Tensor};
use ganbook::nn::conv::ConvSpec;
use ganbook::nn::kernels::conv_gemm;

fn spec(kernel: usize, stride: usize, padding: usize, dilation: usize, bias: bool) -> ConvSpec {
    ConvSpec {
        stride,
        padding,
        dilation,
        bias,
        ..ConvSpec::new(kernel)
    }
}

fn random<const D: usize>(shape: [usize; D]) -> Tensor<D> {
    let dev = ganbook::device::current();
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), &dev)
}

type Conv = fn(Tensor<4>, Tensor<4>, Option<Tensor<1>>, &ConvSpec) -> Tensor<4>;

/// Runs `ours` and `plain` on the same leaves, weighs the outputs by a fixed random tensor,
/// and compares outputs and all gradients.
fn check(
    name: &str,
    x: [usize; 4],
    w: [usize; 4],
    bias: usize,
    s: ConvSpec,
    ours: Conv,
    plain: Conv,
) {
    let (x, w, b) = (random(x), random(w), random([bias]));
    assert!(
        conv_gemm::applies(&x, &w),
        "{name}: the GEMM path is not taken"
    );
    let run = |f: Conv| {
        let (x, w, b) = (
            x.clone().require_grad(),
            w.clone().require_grad(),
            b.clone().require_grad(),
        );
        let y = f(x.clone(), w.clone(), s.bias.then(|| b.clone()), &s);
        let weights = {
            let dev = ganbook::device::current();
            let n = y.dims().iter().product::<usize>();
            let v: Vec<f32> = (0..n)
                .map(|i| ((i * 7919) % 13) as f32 / 13.0 - 0.5)
                .collect();
            Tensor::<1>::from_floats(v.as_slice(), &dev).reshape(y.dims())
        };
        let grads = (y.clone() * weights).sum().backward();
        let db = s.bias.then(|| b.grad(&grads).unwrap());
        (
            y.detach(),
            x.grad(&grads).unwrap(),
            w.grad(&grads).unwrap(),
            db,
        )
    };
    let (y1, dx1, dw1, db1) = run(ours);
    let (y2, dx2, dw2, db2) = run(plain);
    assert_close(&format!("{name} output"), y1, y2);
    assert_close(&format!("{name} d input"), dx1, dx2);
    assert_close(&format!("{name} d weight"), dw1, dw2);
    if let (Some(a), Some(b)) = (db1, db2) {
        assert_close(&format!("{name} d bias"), a, b);
    }
}

fn plain_conv2d(x: Tensor<4>, w: Tensor<4>, b: Option<Tensor<1>>, s: &ConvSpec) -> Tensor<4> {
    let opts = ConvOptions::new([s.stride; 2], [s.padding; 2], [s.dilation; 2], 1);
    burn::tensor::module::conv2d(x, w, b, opts)
}

fn plain_conv_transpose2d(
    x: Tensor<4>,
    w: Tensor<4>,
    b: Option<Tensor<1>>,
    s: &ConvSpec,
) -> Tensor<4> {
    let opts = ConvTransposeOptions::new(
        [s.stride; 2],
        [s.padding; 2],
        [s.output_padding; 2],
        [s.dilation; 2],
        1,
    );
    burn::tensor::module::conv_transpose2d(x, w, b, opts)
}

#[test]
fn conv2d_matches_burn() {
    let cases = [
        (
            "k4 s2 p1 (DCGAN)",
            [3, 4, 8, 8],
            [5, 4, 4, 4],
            spec(4, 2, 1, 1, false),
        ),
        (
            "k4 s1 p0 to 1x1",
            [2, 6, 4, 4],
            [1, 6, 4, 4],
            spec(4, 1, 0, 1, false),
        ),
        (
            "k3 s1 p1 bias",
            [2, 3, 7, 5],
            [4, 3, 3, 3],
            spec(3, 1, 1, 1, true),
        ),
        (
            "k8 s2 p0 bias (seed 002)",
            [2, 3, 20, 20],
            [4, 3, 8, 8],
            spec(8, 2, 0, 1, true),
        ),
        (
            "k3 s2 p2 d2",
            [2, 2, 9, 9],
            [3, 2, 3, 3],
            spec(3, 2, 2, 2, false),
        ),
        ("k1", [2, 5, 3, 3], [4, 5, 1, 1], spec(1, 1, 0, 1, true)),
        // a 512 KB column matrix per sample: the batch goes in runs of 4 and 2 samples
        (
            "k4 s2 p1, two runs of samples",
            [6, 32, 32, 32],
            [8, 32, 4, 4],
            spec(4, 2, 1, 1, false),
        ),
    ];
    for (name, x, w, s) in cases {
        check(name, x, w, w[0], s, conv_gemm::conv2d, plain_conv2d);
    }
}

#[test]
fn conv_transpose2d_matches_burn() {
    let op = |s: ConvSpec, op| ConvSpec {
        output_padding: op,
        ..s
    };
    let cases = [
        (
            "k4 s2 p1 (DCGAN)",
            [3, 5, 4, 4],
            [5, 4, 4, 4],
            spec(4, 2, 1, 1, false),
        ),
        (
            "k4 s1 p0 from 1x1",
            [2, 6, 1, 1],
            [6, 3, 4, 4],
            spec(4, 1, 0, 1, false),
        ),
        (
            "k8 s2 p0 bias (seed 002)",
            [2, 3, 5, 5],
            [3, 4, 8, 8],
            spec(8, 2, 0, 1, true),
        ),
        (
            "k8 s2 p1 bias (seed 002)",
            [2, 3, 6, 6],
            [3, 2, 8, 8],
            spec(8, 2, 1, 1, true),
        ),
        (
            "k3 s2 p1 op1",
            [2, 3, 4, 5],
            [3, 2, 3, 3],
            op(spec(3, 2, 1, 1, true), 1),
        ),
        (
            "k3 s1 p1 d2",
            [2, 2, 5, 5],
            [2, 3, 3, 3],
            spec(3, 1, 1, 2, false),
        ),
        (
            "k4 s2 p1, two runs of samples",
            [6, 8, 16, 16],
            [8, 32, 4, 4],
            spec(4, 2, 1, 1, false),
        ),
    ];
    for (name, x, w, s) in cases {
        check(
            name,
            x,
            w,
            w[1],
            s,
            conv_gemm::conv_transpose2d,
            plain_conv_transpose2d,
        );
    }
}
