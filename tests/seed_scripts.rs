//! The seed experiments' scripts run end to end in quick mode (small `--set` values): each
//! finishes with status ok, records its headline figures and writes its images and plots.

mod common;

use common::{ganbook, run_json, temp_dir, text};
use std::path::Path;

/// Runs `scripts/<name>.rhai` with `sets` into a fresh folder; asserts success and returns
/// (run folder, run.json).
fn quick_run(name: &str, sets: &[&str]) -> (std::path::PathBuf, serde_json::Value) {
    let out = temp_dir(name);
    let script = format!("scripts/{name}.rhai");
    let mut args = vec!["run", script.as_str(), "--out", out.to_str().unwrap()];
    for s in sets {
        args.extend(["--set", s]);
    }
    let o = ganbook(&args);
    assert!(
        o.status.success(),
        "{name}: stdout {}\nstderr {}",
        text(&o.stdout),
        text(&o.stderr)
    );
    let j = run_json(&out);
    assert_eq!(j["status"], "ok", "{name}: {j}");
    (out, j)
}

fn assert_files(out: &Path, files: &[&str]) {
    for f in files {
        assert!(out.join(f).is_file(), "{} missing", out.join(f).display());
    }
}

/// A result that is a number within [lo, hi].
fn figure(j: &serde_json::Value, key: &str, lo: f64, hi: f64) -> f64 {
    let v = j["results"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("result {key} missing: {}", j["results"]));
    assert!((lo..=hi).contains(&v), "{key} = {v} not in [{lo}, {hi}]");
    v
}

#[test]
fn dtn_digits_quick_run() {
    let (out, j) = quick_run(
        "dtn_digits",
        &["pretrain=20", "steps=3", "every=2", "batch=8", "n_eval=40"],
    );
    figure(&j, "digit_accuracy", 0.0, 1.0);
    figure(&j, "f_accuracy", 0.0, 1.0);
    assert_eq!(j["params"]["used"]["steps"], 3);
    assert_files(
        &out,
        &[
            "pairs/step_000000.png",
            "pairs/step_000002.png",
            "samples/final_pairs.png",
            "plots/losses.png",
            "plots/progress.gif",
            "source.png",
            "target.png",
        ],
    );
}

#[test]
fn dtn_faces_quick_run() {
    let (out, j) = quick_run(
        "dtn_faces",
        &["pretrain=5", "steps=3", "every=2", "batch=8", "n_eval=40"],
    );
    figure(&j, "attribute_accuracy", 0.0, 1.0);
    figure(&j, "attribute_chance", 0.0, 1.0);
    figure(&j, "f_accuracy", 0.0, 1.0);
    assert_files(
        &out,
        &[
            "pairs/step_000000.png",
            "samples/final_pairs.png",
            "plots/losses.png",
            "plots/progress.gif",
        ],
    );
}

#[test]
fn dcgan_faces64_quick_run() {
    let (out, j) = quick_run(
        "dcgan_faces64",
        &[
            "epochs=2",
            "n=16",
            "batch=8",
            "g_width=16",
            "d_width=8",
            "n_fid=20",
            "patience=1",
        ],
    );
    let start = figure(&j, "fid_start", 0.0, f64::MAX);
    let best = figure(&j, "fid_best", 0.0, f64::MAX);
    assert!(best <= start, "best FID {best} above the start {start}");
    assert_files(
        &out,
        &[
            "samples/final.png",
            "samples/walk.png",
            "samples/step_000002.png",
            "plots/fid.png",
            "plots/losses.png",
            "checkpoints/best/checkpoint.json",
        ],
    );
    // the grid is 20 x 16 samples of 64x64 (plus padding)
    let grid = image::open(out.join("samples/final.png")).unwrap();
    assert!(grid.width() > 20 * 64 && grid.height() > 16 * 64 && grid.height() < 17 * 64 + 40);
}

#[test]
fn wgan_faces_quick_run() {
    let (out, j) = quick_run(
        "wgan_faces",
        &["steps=2", "every=1", "batch=8", "n_fid=20"],
    );
    for kind in ["vanilla", "dcgan", "wgan", "wgan_gp"] {
        figure(&j, &format!("fid_{kind}"), 0.0, f64::MAX);
        assert_files(
            &out,
            &[
                &format!("samples/final_{kind}.png"),
                &format!("{kind}/step_000001.png"),
            ],
        );
    }
    assert_files(&out, &["plots/fid.png", "plots/is.png"]);
    let metrics = std::fs::read_to_string(out.join("metrics.jsonl")).unwrap();
    assert!(metrics.contains("\"is_wgan_gp\""), "IS logged per variant");
}
