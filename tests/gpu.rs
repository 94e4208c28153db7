//! The GPU device beside the CPU: ganbook's own CPU kernels never see a GPU tensor,
//! checkpoints move between the devices with identical weights, a small convolutional GAN
//! trains alike on both, and errors keep their words. These need a GPU device: they run on
//! `GANBOOK_TEST_DEVICE` (the GPU suite in .ci/run sets `wgpu`, on Mesa's lavapipe there) and
//! check nothing, saying so, without it. The numerical parity of every layer, loss and
//! optimizer on the GPU is tests/numerics.rs run with that variable.

mod common;

use common::{temp_dir, test_device, text};
use ganbook::checkpoint::{load_model, save_model};
use ganbook::device;
use ganbook::nn::Sequential;
use ganbook::nn::kernels::flex::handed_to_cpu_kernels;
use ganbook::script::bare_engine;
use ganbook::script::model_fns::Model;
use std::process::Command;
use std::sync::Mutex;

/// The device is process-wide: the tests here switch it, so they take turns.
static DEVICE_TURN: Mutex<()> = Mutex::new(());

/// The GPU device under test, or None (then the test says it checked nothing).
fn gpu(test: &str) -> Option<String> {
    let d = test_device();
    if d == "cpu" {
        eprintln!("{test}: skipped (set GANBOOK_TEST_DEVICE to a GPU device, e.g. wgpu)");
        return None;
    }
    Some(d)
}

/// Every kind of layer ganbook has, and a training step through them.
const EVERY_LAYER: &str = r#"
    let G = sequential([linear(8, 32), relu(), reshape([2, 4, 4]),
        conv_transpose2d(2, 4, 4, #{stride: 2, padding: 1}), batch_norm(4), leaky_relu(0.2),
        conv2d(4, 3, 3, #{padding: 1}), tanh(), layer_norm([3, 8, 8]), sigmoid(),
        upsample(2), gelu(), dropout(0.1), flatten(), linear(768, 1)]);
    let E = sequential([embedding(5, 8), flatten(), linear(8, 1)]);
    let o = adam(G, #{lr: 1e-3});
    let oe = sgd(E, #{lr: 1e-2});
    for i in 0..2 {
        o.step(bce_logits(G.forward(randn([4, 8])), 1.0));
        oe.step(mse(E.forward(tensor([1, 3])), 0.5));
    }
    G.eval();
    G.forward(randn([2, 8])).sum().item()
"#;

#[test]
fn cpu_kernels_never_see_a_gpu_tensor() {
    let Some(gpu) = gpu("cpu_kernels_never_see_a_gpu_tensor") else {
        return;
    };
    let _turn = DEVICE_TURN.lock().unwrap_or_else(|p| p.into_inner());
    let run = |name: &str| -> (f64, u64) {
        device::select(name).unwrap();
        let before = handed_to_cpu_kernels();
        let v: f64 = bare_engine()
            .0
            .eval(EVERY_LAYER)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        (v, handed_to_cpu_kernels() - before)
    };
    let (v, on_gpu) = run(&gpu);
    assert!(v.is_finite(), "{v}");
    assert_eq!(
        on_gpu, 0,
        "{on_gpu} tensors of the {gpu} device reached a CPU kernel"
    );
    // the same script on the CPU does use them: the count above could have failed
    let (_, on_cpu) = run("cpu");
    assert!(
        on_cpu > 10,
        "the CPU run handed only {on_cpu} tensors to its kernels"
    );
}

fn model(src: &str) -> Sequential {
    let m: Model = bare_engine().0.eval(src).unwrap();
    m.state().seq.clone()
}

#[test]
fn checkpoints_move_between_cpu_and_gpu_with_identical_weights() {
    let Some(gpu) = gpu("checkpoints_move_between_cpu_and_gpu_with_identical_weights") else {
        return;
    };
    let _turn = DEVICE_TURN.lock().unwrap_or_else(|p| p.into_inner());
    let dir = temp_dir("gpu-ckpt");
    // trained a little on the CPU, so that batch norm's running statistics are not 0 and 1
    const SRC: &str = "let m = sequential([conv2d(3, 4, 3), batch_norm(4), relu(), flatten(), linear(16, 2)]);\
        m.forward(randn([5, 3, 4, 4]));  m";
    device::select("cpu").unwrap();
    let on_cpu = model(SRC);
    save_model(&on_cpu, &dir.join("cpu.bpk")).unwrap();
    device::select(&gpu).unwrap();
    let mut on_gpu = model(SRC);
    load_model(&mut on_gpu, &dir.join("cpu.bpk")).unwrap();
    save_model(&on_gpu, &dir.join("gpu.bpk")).unwrap();
    let a = std::fs::read(dir.join("cpu.bpk")).unwrap();
    let b = std::fs::read(dir.join("gpu.bpk")).unwrap();
    assert!(
        a == b,
        "saved on the {gpu} device after loading the CPU's file, the weights differ"
    );
    // and back: the GPU's file loads on the CPU
    device::select("cpu").unwrap();
    let mut back = model(SRC);
    load_model(&mut back, &dir.join("gpu.bpk")).unwrap();
    save_model(&back, &dir.join("back.bpk")).unwrap();
    assert!(std::fs::read(dir.join("back.bpk")).unwrap() == a);
}

fn losses(script: &std::path::Path, device: &str) -> Vec<f64> {
    let out = script.with_file_name(format!("out-{device}"));
    let o = Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .args(["run", script.to_str().unwrap(), "--out"])
        .arg(&out)
        .args(["--device", device])
        .output()
        .unwrap();
    assert!(o.status.success(), "{device}: {}", text(&o.stderr));
    let j = common::run_json(&out);
    assert_eq!(j["device"], device, "{j}");
    text(&o.stdout)
        .lines()
        .map(|l| l.parse().unwrap())
        .collect()
}

#[test]
fn a_conv_gan_trains_alike_on_cpu_and_gpu() {
    let Some(gpu) = gpu("a_conv_gan_trains_alike_on_cpu_and_gpu") else {
        return;
    };
    let script = temp_dir("gpu-gan").join("g.rhai");
    std::fs::write(&script, common::SMALL_CONV_GAN).unwrap();
    let (cpu, on_gpu) = (losses(&script, "cpu"), losses(&script, &gpu));
    assert_eq!(cpu.len(), 5);
    // The same seed draws the same numbers on both (ganbook's generator runs on the host);
    // the devices sum in different orders, float32 rounding that 5 Adam steps carry along.
    for (i, (c, g)) in cpu.iter().zip(&on_gpu).enumerate() {
        assert!(
            (c - g).abs() <= 1e-3 * c.abs().max(1.0),
            "step {i}: cpu {c}, {gpu} {g}\n{cpu:?}\n{on_gpu:?}"
        );
    }
}

#[test]
fn errors_on_the_gpu_name_the_layer_and_the_shapes() {
    let Some(gpu) = gpu("errors_on_the_gpu_name_the_layer_and_the_shapes") else {
        return;
    };
    let (o, j, _) = common::run_script(
        "gpu-shape",
        "let D = sequential([conv2d(3, 8, 4), flatten(), linear(10, 1)]);\nlet y = D.forward(randn([2, 3, 8, 8]));\n",
        &["--device", &gpu],
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("gpu-shape.rhai:2:"), "{err}");
    assert!(err.contains("linear") && err.contains("[2, 200]"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(j["status"], "error");
    assert_eq!(j["device"], gpu.as_str());
}

/// The built-in probe (FID's default features) trains on the CPU whatever the device, so a
/// GPU run's FID uses the CPU run's network; it then reads images on the GPU.
#[test]
fn the_probe_trains_on_the_cpu_and_reads_on_the_gpu() {
    use ganbook::metrics::features::FeatureNet;
    use ganbook::metrics::probe::{Kind, Probe};
    use ganbook::tensor::DynTensor;
    let Some(gpu) = gpu("the_probe_trains_on_the_cpu_and_reads_on_the_gpu") else {
        return;
    };
    let _turn = DEVICE_TURN.lock().unwrap_or_else(|p| p.into_inner());
    let cfg = common::tiny_probe(Kind::Faces);
    let images = |seed: u64| {
        let v = (0..4 * 3 * 16 * 16)
            .map(|i| ((i as u64 * 2654435761 + seed) % 1000) as f32 / 500.0 - 1.0)
            .collect();
        DynTensor::from_vec(v, &[4, 3, 16, 16]).unwrap()
    };
    device::select("cpu").unwrap();
    let key_on_cpu = cfg.key();
    let on_cpu = Probe::train(&cfg).unwrap();
    let want = on_cpu.features(images(1)).unwrap().to_vec();

    device::select(&gpu).unwrap();
    assert_eq!(cfg.key(), key_on_cpu, "the cache key depends on the device");
    let root = temp_dir("gpu-probe");
    let before = handed_to_cpu_kernels();
    let probe = Probe::load_or_train(&cfg, Some(&root)).unwrap();
    assert!(
        handed_to_cpu_kernels() > before,
        "the probe's training did not run on the CPU's kernels"
    );
    assert_eq!(
        probe.parameters(),
        on_cpu.parameters(),
        "trained during a {gpu} run, the probe's weights differ from the CPU's"
    );
    let before = handed_to_cpu_kernels();
    let got = probe.features(images(1)).unwrap().to_vec();
    assert_eq!(
        handed_to_cpu_kernels(),
        before,
        "features were read on the CPU"
    );
    assert_eq!(got.len(), want.len());
    for (g, w) in got.iter().zip(&want) {
        assert!((g - w).abs() <= 1e-4 + 1e-4 * w.abs(), "{got:?}\n{want:?}");
    }
    device::select("cpu").unwrap();
}
