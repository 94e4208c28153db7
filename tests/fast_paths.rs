//! Golden tests: each fast form of an operation against the plain burn operation, forward and
//! backward (input, weight and bias gradients of sum(out * R) for a random R).

use burn::tensor::module::conv_transpose2d;
use burn::tensor::ops::ConvTransposeOptions;
use burn::tensor::{Distribution, Tensor};
use ganbook::device;
use ganbook::nn::subpixel;

type Op = fn(Tensor<4>, Tensor<4>, Option<Tensor<1>>) -> Tensor<4>;

fn randn<const D: usize>(shape: [usize; D]) -> Tensor<D> {
    Tensor::random(shape, Distribution::Normal(0.0, 1.0), &device::current())
}

fn assert_close(what: &str, got: Tensor<4>, want: Tensor<4>) {
    assert_eq!(got.dims(), want.dims(), "{what}: shapes");
    let (g, w) = (
        got.into_data().try_to_vec::<f32>().unwrap(),
        want.into_data().try_to_vec::<f32>().unwrap(),
    );
    for (i, (a, b)) in g.iter().zip(&w).enumerate() {
        assert!(
            (a - b).abs() <= 1e-4 + 1e-4 * b.abs(),
            "{what}[{i}]: {a} vs {b}"
        );
    }
}

/// Runs `fast` and the plain transposed convolution on the same data; compares the outputs
/// and the gradients of sum(out * R).
fn compare(fast: Op, x: [usize; 4], w: [usize; 4], opts: ConvTransposeOptions<2>) {
    let x = randn(x);
    let w = randn(w);
    let b = randn([w.dims()[1]]);
    let run = |f: &dyn Fn(Tensor<4>, Tensor<4>, Option<Tensor<1>>) -> Tensor<4>| {
        let (x, w, b) = (
            x.clone().require_grad(),
            w.clone().require_grad(),
            b.clone().require_grad(),
        );
        let out = f(x.clone(), w.clone(), Some(b.clone()));
        let r = Tensor::<4>::ones(out.dims(), &device::current())
            .mul_scalar(0.5)
            .add(out.clone().detach().sin());
        let grads = (out.clone() * r).sum().backward();
        let gb = b.grad(&grads).unwrap().reshape([1, 1, 1, w.dims()[1]]);
        (
            out.detach(),
            x.grad(&grads).unwrap(),
            w.grad(&grads).unwrap(),
            gb,
        )
    };
    let plain = run(&|x, w, b| conv_transpose2d(x, w, b, opts.clone()));
    let quick = run(&|x, w, b| fast(x, w, b));
    assert_close("forward", quick.0, plain.0);
    assert_close("grad x", quick.1, plain.1);
    assert_close("grad w", quick.2, plain.2);
    assert_close("grad b", quick.3, plain.3);
}

#[test]
fn subpixel_equals_stride2_kernel4_padding1() {
    let opts = ConvTransposeOptions::new([2, 2], [1, 1], [0, 0], [1, 1], 1);
    compare(
        subpixel::stride2_k4_p1,
        [3, 5, 4, 6],
        [5, 7, 4, 4],
        opts.clone(),
    );
    compare(subpixel::stride2_k4_p1, [2, 3, 1, 1], [3, 2, 4, 4], opts);
}

#[test]
fn point_input_equals_transposed_conv_of_1x1() {
    let opts = ConvTransposeOptions::new([1, 1], [0, 0], [0, 0], [1, 1], 1);
    compare(subpixel::from_point, [4, 6, 1, 1], [6, 3, 4, 4], opts);
    let opts = ConvTransposeOptions::new([2, 2], [0, 0], [0, 0], [1, 1], 1);
    compare(subpixel::from_point, [2, 3, 1, 1], [3, 5, 3, 3], opts);
}
