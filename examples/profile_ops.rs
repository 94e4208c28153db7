//! Times element-wise activations forward + backward on a DCGAN-sized activation
//! ([64, 64, 16, 16]), burn's own against alternatives. `cargo run --release --example profile_ops`
use burn::tensor::activation::{leaky_relu, relu};
use burn::tensor::{Distribution, Tensor};
use std::time::Instant;

fn time(name: &str, f: &dyn Fn(Tensor<4>) -> Tensor<4>) {
    let dev = ganbook::device::current();
    let x = Tensor::<4>::random([64, 64, 16, 16], Distribution::Normal(0.0, 1.0), &dev);
    let mut v = Vec::new();
    for _ in 0..7 {
        let xr = x.clone().require_grad();
        let t = Instant::now();
        let y = f(xr.clone());
        let g = y.sum().backward();
        let _ = xr.grad(&g).unwrap().into_data();
        v.push(t.elapsed().as_secs_f64() * 1e3);
    }
    v.sort_by(f64::total_cmp);
    println!("{name:<28} fwd+bwd {:6.2} ms", v[3]);
}

fn main() {
    time("burn leaky_relu", &|x| leaky_relu(x, 0.2));
    time("max(x, 0.2 x)", &|x| x.clone().max_pair(x.mul_scalar(0.2)));
    time("relu(x)(1-a) + a x", &|x| {
        relu(x.clone()).mul_scalar(0.8).add(x.mul_scalar(0.2))
    });
    time("burn relu", &|x| relu(x));
    time("clamp_min(0)", &|x| x.clamp_min(0.0));
    time("tanh", &|x| x.tanh());
    time("identity (sum only)", &|x| x);
}
