//! Times forward and backward of each DCGAN-32 layer (batch 64) on the current device, to see
//! where a training step goes. `cargo run --release --example profile_layers`
use burn::tensor::Distribution;
use ganbook::bench::dcgan32::dcgan32;
use ganbook::nn::{Mode, Sequential};
use ganbook::tensor::DynTensor;
use std::time::Instant;

fn profile(name: &str, seq: &mut Sequential, input: &[usize]) {
    let train = Mode { training: true };
    let mut x = DynTensor::random(input, Distribution::Normal(0.0, 1.0)).unwrap();
    for (i, layer) in seq.layers.iter_mut().enumerate() {
        let inp = x.clone().detach().require_grad();
        let mut fwd = Vec::new();
        let mut bwd = Vec::new();
        let mut out = None;
        for _ in 0..5 {
            let t = Instant::now();
            let y = layer.forward(inp.clone(), train).unwrap();
            let _ = y.to_vec().len();
            fwd.push(t.elapsed().as_secs_f64() * 1e3);
            let t = Instant::now();
            let loss =
                ganbook::tensor::DynTensor::new(ganbook::with_rank!(y.clone(), v => v.sum()));
            let l = loss.ranked::<1>("loss").unwrap();
            let g = l.backward();
            let _ = ganbook::with_rank!(inp.clone(), v => v.grad(&g).map(|t| t.into_data().num_elements()));
            bwd.push(t.elapsed().as_secs_f64() * 1e3);
            out = Some(y);
        }
        fwd.sort_by(f64::total_cmp);
        bwd.sort_by(f64::total_cmp);
        println!(
            "{name} {i:2} {:<45} fwd {:7.1} ms  bwd {:7.1} ms",
            layer.describe(),
            fwd[2],
            bwd[2]
        );
        x = out.unwrap().detach();
    }
}

fn main() {
    let (mut g, mut d) = dcgan32().unwrap();
    profile("G", &mut g, &[64, 100]);
    profile("D", &mut d, &[64, 3, 32, 32]);
}
