//! Times each phase of a DCGAN 32x32 training step (batch 64, as `ganbook bench steps`):
//! G forward, D forwards + loss, D backward + Adam, G-step D forward, G backward + Adam; on
//! odd steps a plain backward without the update instead (which computes every weight
//! gradient, D's too in the G step). Medians over steps, in ms. PyTorch's phases of the same
//! step: `python benches/torch_phases.py 1`.
//! `RAYON_NUM_THREADS=1 cargo run --release --example profile_step`
use burn::tensor::Distribution;
use ganbook::bench::dcgan32::dcgan32;
use ganbook::nn::loss::{Target, bce_logits};
use ganbook::nn::optim::{Algorithm, Optimizer};
use ganbook::nn::{Mode, Sequential};
use ganbook::tensor::{BinOp, DynTensor};
use std::collections::BTreeMap;
use std::time::Instant;

/// Back-propagates `loss` alone (`bwd_only`: every weight gradient, no update) or takes
/// `opt`'s step on `model`; returns the phase's name, `names[0]` or `names[1]` respectively.
fn backward_or_step(
    opt: &mut Optimizer,
    model: &mut Sequential,
    loss: &DynTensor,
    bwd_only: bool,
    names: [&'static str; 2],
) -> &'static str {
    if bwd_only {
        let _ = loss.clone().ranked::<1>("loss").unwrap().backward();
        names[0]
    } else {
        opt.step(&mut [model], loss).unwrap();
        names[1]
    }
}

fn main() {
    ganbook::heap::keep_freed_memory();
    ganbook::threads::join_pool_from_main();
    let (mut g, mut d) = dcgan32().unwrap();
    let adam = || Algorithm::Adam {
        betas: (0.5, 0.999),
        eps: 1e-8,
        weight_decay: 0.0,
    };
    let mut opt_g = Optimizer::new(adam(), 2e-4).unwrap();
    let mut opt_d = Optimizer::new(adam(), 2e-4).unwrap();
    let real = DynTensor::random(&[64, 3, 32, 32], Distribution::Normal(0.0, 1.0)).unwrap();
    let train = Mode { training: true };
    let mut t: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    // records the time since `lap` under `name` and restarts `lap`
    let mark = |t: &mut BTreeMap<&str, Vec<f64>>, name: &'static str, lap: &mut Instant| {
        t.entry(name)
            .or_default()
            .push(lap.elapsed().as_secs_f64() * 1e3);
        *lap = Instant::now();
    };
    for i in 0..24 {
        // odd steps: backward alone (all weight gradients, no update), to split off Adam
        let bwd_only = i % 2 == 1;
        let mut lap = Instant::now();
        let z = DynTensor::random(&[64, 100], Distribution::Normal(0.0, 1.0)).unwrap();
        let fake = g.forward(z, train).unwrap();
        let _ = fake.to_vec();
        mark(&mut t, "1 g_fwd", &mut lap);
        let dr = d.forward(real.clone(), train).unwrap();
        let df = d.forward(fake.clone().detach(), train).unwrap();
        let dl = bce_logits(&dr, &Target::Value(1.0))
            .unwrap()
            .binary(bce_logits(&df, &Target::Value(0.0)).unwrap(), BinOp::Add)
            .unwrap();
        let _ = dl.item();
        mark(&mut t, "2 d_fwds+loss", &mut lap);
        let name = backward_or_step(
            &mut opt_d,
            &mut d,
            &dl,
            bwd_only,
            ["3a d_bwd_only", "3b d_bwd+adam"],
        );
        mark(&mut t, name, &mut lap);
        let gl = bce_logits(&d.forward(fake, train).unwrap(), &Target::Value(1.0)).unwrap();
        let _ = gl.item();
        mark(&mut t, "4 gstep_d_fwd", &mut lap);
        let name = backward_or_step(
            &mut opt_g,
            &mut g,
            &gl,
            bwd_only,
            ["5a g_bwd_only", "5b g_bwd+adam"],
        );
        mark(&mut t, name, &mut lap);
    }
    for (k, mut v) in t {
        v.drain(..2);
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        println!("{k:16} median {:7.2} ms  min {:7.2}", v[v.len() / 2], v[0]);
    }
}
