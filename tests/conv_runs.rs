//! crates/ganbook-core/src/nn/kernels/conv_runs.rs: convolutions spread runs of samples over threads; weight gradients
//! are summed in a fixed order, so a call repeats bit for bit for a given thread count, and
//! any thread count gives the one-thread result within rounding.

use burn::tensor::{Distribution, Tensor};
use ganbook::nn::conv::ConvSpec;
use ganbook::nn::kernels::conv_gemm;

/// Input and weight gradients of conv2d then conv_transpose2d on `x`, in a pool of `threads`.
fn gradients(threads: usize, x: &Tensor<4>, w1: &Tensor<4>, w2: &Tensor<4>) -> Vec<Vec<f32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool");
    pool.install(|| {
        let s = ConvSpec {
            stride: 2,
            padding: 1,
            ..ConvSpec::new(4)
        };
        let (x, w1, w2) = (
            x.clone().require_grad(),
            w1.clone().require_grad(),
            w2.clone().require_grad(),
        );
        let h = conv_gemm::conv2d(x.clone(), w1.clone(), None, &s);
        let y = conv_gemm::conv_transpose2d(h, w2.clone(), None, &s);
        let grads = (y.clone() * y).sum().backward();
        [x.grad(&grads), w1.grad(&grads), w2.grad(&grads)]
            .into_iter()
            .map(|g| g.expect("a gradient").into_data().iter::<f32>().collect())
            .collect()
    })
}

#[test]
fn gradients_repeat_exactly_and_match_one_thread() {
    let dev = ganbook::device::current();
    let normal = Distribution::Normal(0.0, 1.0);
    // 7 samples: runs of uneven length over 3 threads
    let x = Tensor::<4>::random([7, 3, 16, 16], normal, &dev);
    let w1 = Tensor::<4>::random([8, 3, 4, 4], normal, &dev);
    let w2 = Tensor::<4>::random([8, 3, 4, 4], normal, &dev);
    let one = gradients(1, &x, &w1, &w2);
    let first = gradients(3, &x, &w1, &w2);
    let again = gradients(3, &x, &w1, &w2);
    assert_eq!(first, again, "two calls on 3 threads differ");
    for (name, (a, b)) in ["dx", "dw1", "dw2"].iter().zip(first.iter().zip(&one)) {
        let scale = b.iter().fold(1.0f32, |m, v| m.max(v.abs()));
        for (i, (p, q)) in a.iter().zip(b).enumerate() {
            assert!(
                (p - q).abs() <= 1e-4 * scale,
                "{name}[{i}]: {p} (3 threads) vs {q} (1)"
            );
        }
    }
}
