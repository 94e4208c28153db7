//! Times element-wise activations and BatchNorm forward + backward on a DCGAN-sized
//! activation ([64, 64, 16, 16]): burn's own against ganbook's kernels (crates/ganbook-core/src/nn/kernels/),
//! alternating run by run. `cargo run --release --example profile_ops`
use burn::tensor::activation::{leaky_relu, relu, sigmoid, tanh};
use burn::tensor::{Distribution, Tensor};
use ganbook::nn::kernels::{activation, batch_norm};
use ganbook::nn::stateless::Op;
use ganbook::tensor::DynTensor;
use std::time::Instant;

type F = Box<dyn Fn(Tensor<4>) -> Tensor<4>>;

/// Forward + backward (input gradient read back) of `f` under the loss sum(f(x) · w), in ms.
fn time(f: &F, x: &Tensor<4>, w: &Tensor<4>) -> f64 {
    let xr = x.clone().require_grad();
    let t = Instant::now();
    let g = (f(xr.clone()) * w.clone()).sum().backward();
    let _ = xr.grad(&g).unwrap().into_data();
    t.elapsed().as_secs_f64() * 1e3
}

fn ours(op: Op) -> F {
    Box::new(move |x| {
        let y = activation::forward(DynTensor::new(x), op.cpu_kernel().expect("an activation"))
            .expect("own kernel");
        y.ranked::<4>("profile").unwrap()
    })
}

fn main() {
    let dev = ganbook::device::current();
    let x = Tensor::<4>::random([64, 64, 16, 16], Distribution::Normal(0.0, 1.0), &dev);
    let w = Tensor::<4>::random([64, 64, 16, 16], Distribution::Normal(0.0, 1.0), &dev);
    let ones = Tensor::<1>::ones([64], &dev);
    let zeros = Tensor::<1>::zeros([64], &dev);
    let (o2, z2) = (ones.clone(), zeros.clone());
    let cases: Vec<(&str, F, F)> = vec![
        ("relu", Box::new(relu), ours(Op::Relu)),
        (
            "leaky_relu(0.2)",
            Box::new(|x| leaky_relu(x, 0.2)),
            ours(Op::LeakyRelu(0.2)),
        ),
        ("tanh", Box::new(tanh), ours(Op::Tanh)),
        ("sigmoid", Box::new(sigmoid), ours(Op::Sigmoid)),
        (
            "batch_norm (training)",
            Box::new(move |x| {
                burn::tensor::module::batch_norm_train(x, ones.clone(), zeros.clone(), 1e-5).output
            }),
            Box::new(move |x| batch_norm::batch_norm_train(x, o2.clone(), z2.clone(), 1e-5).output),
        ),
        ("identity (loss only)", Box::new(|x| x), Box::new(|x| x)),
    ];
    for (name, burn, ganbook) in &cases {
        let mut best = [f64::INFINITY; 2];
        for _ in 0..9 {
            best[0] = best[0].min(time(burn, &x, &w));
            best[1] = best[1].min(time(ganbook, &x, &w));
        }
        println!(
            "{name:<22} fwd+bwd  burn {:6.2} ms  ganbook {:6.2} ms",
            best[0], best[1]
        );
    }
}
