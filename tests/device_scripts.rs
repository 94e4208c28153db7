//! Every script in scripts/, in a quick mode, on the GPU device under test and on the CPU:
//! both runs end with status ok, record the same results, and each number agrees within the
//! tolerance its kind allows (below). Runs on `GANBOOK_TEST_DEVICE` (the GPU suite in .ci/run
//! sets `wgpu`, Mesa's lavapipe there) and checks nothing, saying so, on the CPU alone.
//! `GANBOOK_DEVICE_SCRIPTS` names the scripts to run (comma-separated; all when unset): CI
//! runs on lavapipe two scripts, those whose kernels an earlier run left in the cache, and one
//! more (a script's first run there compiles and tunes its kernels for minutes: docs/gpu.md),
//! so all eleven from the tenth run on a machine; benches/gpu_check.sh runs them all on a
//! real GPU.
//!
//! Tolerances. Both devices start from the same weights and draw the same random numbers
//! (initial weights from the CPU's generator, noise from the session's), so the runs differ
//! only by float32 rounding in different summation orders, about 1e-6 of a value per
//! operation, grown by a few training steps. Adam's first updates are +-lr whatever a
//! gradient's size, so a near-zero gradient whose sign differs by rounding moves its weight a
//! whole step: a continuous result (a loss, an FID) must agree within `CONTINUOUS` (on
//! lavapipe most agree to 5e-5 of their value; the worst, sngan_faces's FID after two Adam
//! steps with beta1 = 0, to 1.1e-3). A result that counts samples (an accuracy, a share of
//! high-quality samples, a number of modes covered) moves in whole samples when one of them
//! sits on a decision boundary, so it may differ by `FLIPS` samples of those it counts (the
//! most seen on lavapipe: two of 40, in dtn_faces).

mod common;

use common::{QUICK, ganbook, temp_dir, test_device, text};
use serde_json::Value;

/// Relative and absolute tolerance of a continuous result.
const CONTINUOUS: (f64, f64) = (5e-3, 1e-3);
/// Samples that may land on the other side of a decision (out of those a result counts).
const FLIPS: f64 = 3.0;

/// Results that count samples (their names), as opposed to continuous ones.
fn counts_samples(key: &str) -> bool {
    [
        "accuracy",
        "modes",
        "high_quality",
        "chance",
        "probe_on",
        "per_name",
    ]
    .iter()
    .any(|k| key.contains(k))
}

#[test]
fn every_script_has_a_quick_mode_for_the_device_runs() {
    let mut scripts: Vec<String> = std::fs::read_dir("scripts")
        .unwrap()
        .filter_map(|e| {
            let p = e.unwrap().path();
            (p.extension()? == "rhai").then(|| p.file_stem()?.to_str().map(String::from))?
        })
        .collect();
    scripts.sort();
    let mut listed: Vec<String> = QUICK.iter().map(|(n, _, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(
        scripts, listed,
        "scripts/ and QUICK in tests/device_scripts.rs"
    );
}

/// `ganbook run scripts/<name>.rhai --device <device>` in quick mode: run.json.
fn run(name: &str, sets: &[&str], device: &str) -> Value {
    let out = temp_dir(&format!("device-{name}-{device}"));
    let script = format!("scripts/{name}.rhai");
    let mut args = vec!["run", script.as_str(), "--device", device, "--out"];
    let out_arg = out.to_str().unwrap().to_string();
    args.push(&out_arg);
    for s in sets {
        args.extend(["--set", s]);
    }
    let t = std::time::Instant::now();
    let o = ganbook(&args);
    eprintln!("{name} on {device}: {:.1} s", t.elapsed().as_secs_f64());
    let j = common::run_json(&out);
    assert!(
        o.status.success() && j["status"] == "ok",
        "{name} on {device}: {}\nstderr {}",
        j["status"],
        text(&o.stderr)
    );
    j
}

/// A number of a result: its path, value, and whether it is a whole count.
type Number = (String, f64, bool);

/// The numbers of a result (a number, or a list or map of them), flattened with their paths.
fn numbers(key: &str, v: &Value, out: &mut Vec<Number>) {
    match v {
        Value::Number(n) => out.push((key.to_string(), n.as_f64().unwrap(), !n.is_f64())),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| numbers(&format!("{key}[{i}]"), x, out)),
        Value::Object(m) => m
            .iter()
            .for_each(|(k, x)| numbers(&format!("{key}.{k}"), x, out)),
        _ => {}
    }
}

fn same_results(name: &str, n_counted: f64, cpu: &Value, gpu: &Value, device: &str) {
    let (mut want, mut got) = (Vec::new(), Vec::new());
    for (k, v) in cpu["results"].as_object().expect("results") {
        numbers(k, v, &mut want);
    }
    for (k, v) in gpu["results"].as_object().expect("results") {
        numbers(k, v, &mut got);
    }
    let names = |v: &[Number]| v.iter().map(|(k, _, _)| k.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&want), "{name}: results recorded");
    let mut bad = Vec::new();
    for ((key, g, _), (_, c, whole)) in got.iter().zip(&want) {
        let tol = if counts_samples(key) {
            // a count (modes covered) moves by 1 per sample, a share by 1/n
            let unit = if *whole { 1.0 } else { 1.0 / n_counted };
            FLIPS * unit + 1e-9
        } else {
            CONTINUOUS.1 + CONTINUOUS.0 * c.abs()
        };
        let line = format!("{key}: cpu {c}, {device} {g} (tolerance {tol:.3e})");
        eprintln!("{name}: {line}");
        if (g - c).abs() > tol || !g.is_finite() {
            bad.push(line);
        }
    }
    assert!(bad.is_empty(), "{name}: {}", bad.join("; "));
}

fn check(name: &str) {
    let device = test_device();
    if device == "cpu" {
        eprintln!("{name}: skipped (set GANBOOK_TEST_DEVICE to a GPU device, e.g. wgpu)");
        return;
    }
    if let Ok(chosen) = std::env::var("GANBOOK_DEVICE_SCRIPTS")
        && !chosen.split(',').any(|c| c.trim() == name)
    {
        eprintln!("{name}: skipped (not in GANBOOK_DEVICE_SCRIPTS={chosen})");
        return;
    }
    let (_, sets, n) = QUICK.iter().find(|(n, _, _)| *n == name).unwrap();
    let cpu = run(name, sets, "cpu");
    let gpu = run(name, sets, &device);
    same_results(name, *n, &cpu, &gpu, &device);
}

macro_rules! on_the_device {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                check(stringify!($name));
            }
        )*
    };
}

on_the_device!(
    gan_ring8,
    gan_grid25,
    classroom,
    cnn_gan_128,
    dcgan_webtoon,
    dcgan_faces64,
    wgan_faces,
    sngan_faces,
    cgan_digits,
    dtn_digits,
    dtn_faces,
);
