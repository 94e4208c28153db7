//! Checkpoint files. The first byte picks what the rest is: 0 `checkpoint.json`, 1 a model's
//! burnpack file (loaded into linear(2, 4), linear(4, 1)), 2 a model file and an optimizer
//! state file (a little-endian u32 length, the model, then the Adam state), loaded and then
//! used for one training step.
//!
//! As in `ganbook run`, a panic that ganbook catches (burn panics inside `guard`) is an error,
//! not a crash: the panic hook is the quiet one `ganbook` installs. A panic that escapes still
//! aborts the fuzzer.
#![no_main]

use ganbook::checkpoint;
use ganbook::nn::layer::Layer;
use ganbook::nn::linear::Linear;
use ganbook::nn::optim::{Algorithm, Optimizer};
use ganbook::nn::{Mode, Sequential};
use ganbook::tensor::DynTensor;
use libfuzzer_sys::fuzz_target;

fn model() -> Sequential {
    Sequential::new(vec![
        Layer::Linear(Linear::new(2, 4, true)),
        Layer::Linear(Linear::new(4, 1, true)),
    ])
}

fn train_once(seq: &mut Sequential, opt: &mut Optimizer) {
    let Ok(x) = DynTensor::full(&[3, 2], 0.5) else {
        return;
    };
    let Ok(y) = seq.forward(x, Mode { training: true }) else {
        return;
    };
    let target = ganbook::nn::loss::Target::Value(1.0);
    if let Ok(loss) = ganbook::nn::loss::mse(&y, &target) {
        let _ = opt.step(&mut [seq], &loss);
    }
}

fuzz_target!(|data: &[u8]| {
    static QUIET: std::sync::Once = std::sync::Once::new();
    QUIET.call_once(ganbook::error::install_quiet_panic_hook);
    ganbook::memory_limit::set(256 << 20);
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    match kind % 3 {
        0 => {
            if let Ok(m) = checkpoint::parse_manifest(rest) {
                ganbook::rng::restore(&m.rng).expect("a parsed manifest's RNG state restores");
            }
        }
        1 => {
            let _ = checkpoint::load_model_bytes(&mut model(), rest.to_vec());
        }
        _ => {
            let Some(len) = rest
                .get(..4)
                .map(|b| u32::from_le_bytes(b.try_into().unwrap()))
            else {
                return;
            };
            let rest = &rest[4..];
            let split = (len as usize).min(rest.len());
            let mut seq = model();
            if checkpoint::load_model_bytes(&mut seq, rest[..split].to_vec()).is_err() {
                return;
            }
            let mut opt = Optimizer::new(Algorithm::adam(), 1e-3).unwrap();
            if opt.load_state_bytes(rest[split..].to_vec()).is_ok() {
                train_once(&mut seq, &mut opt);
            }
        }
    }
});
