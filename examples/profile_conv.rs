//! Times conv2d and conv_transpose2d at the DCGAN 64x64 shapes (batch 64, k4 s2 p1): burn's
//! own operation against ganbook's GEMM one (crates/ganbook-core/src/nn/kernels/conv_gemm.rs), alternating run by run so
//! that both see the same load. Prints the fastest forward and forward + backward (input and
//! weight gradients) of each, in ms. The same shapes in PyTorch: benches/torch_conv.py.
//! `cargo run --release --example profile_conv [-- REPS] [--cpu]` (`--cpu`: CPU time of all
//! threads instead of wall time; with RAYON_NUM_THREADS=1 the steadiest on a busy machine).
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::{Distribution, Tensor};
use ganbook::nn::conv::ConvSpec;
use ganbook::nn::kernels::conv_gemm;
use std::time::Instant;

type Conv = fn(Tensor<4>, Tensor<4>, Option<Tensor<1>>, &ConvSpec) -> Tensor<4>;

fn burn_conv2d(x: Tensor<4>, w: Tensor<4>, b: Option<Tensor<1>>, s: &ConvSpec) -> Tensor<4> {
    let opts = ConvOptions::new([s.stride; 2], [s.padding; 2], [s.dilation; 2], 1);
    burn::tensor::module::conv2d(x, w, b, opts)
}

fn burn_conv_transpose2d(
    x: Tensor<4>,
    w: Tensor<4>,
    b: Option<Tensor<1>>,
    s: &ConvSpec,
) -> Tensor<4> {
    let opts = ConvTransposeOptions::new([s.stride; 2], [s.padding; 2], [0; 2], [1; 2], 1);
    burn::tensor::module::conv_transpose2d(x, w, b, opts)
}

/// CPU time of all this process's threads so far, in ms (Linux schedstat; NaN elsewhere).
/// Less disturbed than wall time by other processes on a busy machine.
fn cpu_ms() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return f64::NAN;
    };
    let ns: u64 = dir
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    ns as f64 / 1e6
}

/// Milliseconds of one forward (and backward when `grad`) of `f`: wall, or CPU time of all
/// threads with `--cpu`.
fn once(f: Conv, x: &Tensor<4>, w: &Tensor<4>, s: &ConvSpec, grad: bool) -> f64 {
    let cpu = std::env::args().any(|a| a == "--cpu");
    let (t, c) = (Instant::now(), cpu_ms());
    if grad {
        let (x, w) = (x.clone().require_grad(), w.clone().require_grad());
        let g = f(x.clone(), w.clone(), None, s).sum().backward();
        let _ = (
            x.grad(&g).unwrap().into_data(),
            w.grad(&g).unwrap().into_data(),
        );
    } else {
        let _ = f(x.clone(), w.clone(), None, s).into_data();
    }
    if cpu {
        cpu_ms() - c
    } else {
        t.elapsed().as_secs_f64() * 1e3
    }
}

fn compare(name: &str, reps: usize, x: [usize; 4], w: [usize; 4], ops: [Conv; 2]) {
    let dev = ganbook::device::current();
    let x = Tensor::<4>::random(x, Distribution::Normal(0.0, 1.0), &dev);
    let w = Tensor::<4>::random(w, Distribution::Normal(0.0, 0.1), &dev);
    let s = ConvSpec {
        stride: 2,
        padding: 1,
        bias: false,
        ..ConvSpec::new(4)
    };
    let mut best = [[f64::INFINITY; 2]; 2];
    for _ in 0..reps {
        for (i, op) in ops.iter().enumerate() {
            for (j, grad) in [false, true].into_iter().enumerate() {
                best[i][j] = best[i][j].min(once(*op, &x, &w, &s, grad));
            }
        }
    }
    println!(
        "{name:<26} fwd burn {:6.1} gemm {:6.1}   fwd+bwd burn {:6.1} gemm {:6.1}   ratio {:.2}",
        best[0][0],
        best[1][0],
        best[0][1],
        best[1][1],
        best[1][1] / best[0][1]
    );
}

fn main() {
    let reps = std::env::args().find_map(|s| s.parse().ok()).unwrap_or(5);
    let n = 64;
    for (ci, co, hw) in [(3, 64, 64), (64, 128, 32), (128, 256, 16), (256, 512, 8)] {
        let ops = [burn_conv2d as Conv, conv_gemm::conv2d];
        compare(
            &format!("conv2d {ci}->{co}"),
            reps,
            [n, ci, hw, hw],
            [co, ci, 4, 4],
            ops,
        );
    }
    for (ci, co, hw) in [(512, 256, 4), (256, 128, 8), (128, 64, 16), (64, 3, 32)] {
        let ops = [burn_conv_transpose2d as Conv, conv_gemm::conv_transpose2d];
        let name = format!("conv_transpose2d {ci}->{co}");
        compare(&name, reps, [n, ci, hw, hw], [ci, co, 4, 4], ops);
    }
}
