//! The seed experiments' scripts run end to end in quick mode (small `--set` values): each
//! finishes with status ok, records its headline figures and writes its images and plots.

mod common;

use common::{run_file, temp_dir, text};
use std::path::{Path, PathBuf};
use std::process::Output;

/// `ganbook run scripts/<name>.rhai --set S...` into a fresh folder: (output, run.json, folder).
fn run_seed(name: &str, sets: &[&str]) -> (Output, serde_json::Value, PathBuf) {
    let out = temp_dir(name);
    let args: Vec<&str> = sets.iter().flat_map(|s| ["--set", s]).collect();
    let (o, j) = run_file(Path::new(&format!("scripts/{name}.rhai")), &out, &args);
    (o, j, out)
}

/// Runs `scripts/<name>.rhai` with `sets` into a fresh folder; asserts success and returns
/// (run folder, run.json).
fn quick_run(name: &str, sets: &[&str]) -> (PathBuf, serde_json::Value) {
    let (o, j, out) = run_seed(name, sets);
    assert!(
        o.status.success(),
        "{name}: stdout {}\nstderr {}",
        text(&o.stdout),
        text(&o.stderr)
    );
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
    figure(&j, "probe_on_g_of_true_emoji", 0.0, 1.0);
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
    let (out, j) = quick_run("dcgan_faces64", common::quick_sets("dcgan_faces64"));
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
    let (out, j) = quick_run("wgan_faces", &["steps=2", "every=1", "batch=8", "n_fid=20"]);
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

#[test]
fn sngan_faces_quick_run() {
    let (out, j) = quick_run(
        "sngan_faces",
        &["seconds=1", "every=1", "batch=8", "n_fid=20"],
    );
    for kind in ["dcgan", "sngan"] {
        figure(&j, &format!("fid_{kind}"), 0.0, f64::MAX);
        figure(&j, &format!("fid_{kind}_ema"), 0.0, f64::MAX);
        figure(&j, &format!("steps_{kind}"), 1.0, f64::MAX);
        assert_files(
            &out,
            &[
                &format!("samples/final_{kind}.png"),
                &format!("samples/final_{kind}_ema.png"),
            ],
        );
    }
    assert_files(&out, &["plots/fid.png"]);
}

#[test]
fn cgan_digits_quick_run() {
    let (out, j) = quick_run(
        "cgan_digits",
        &["steps=3", "every=1", "batch=8", "n_eval=20"],
    );
    figure(&j, "class_accuracy", 0.0, 1.0);
    figure(&j, "probe_on_real", 0.9, 1.0);
    assert_files(
        &out,
        &[
            "samples/step_000000.png",
            "samples/step_000002.png",
            "plots/accuracy.png",
        ],
    );
}

/// `--set inception=PATH` reaches `inception(path)` in both FID scripts. A real run with the
/// (random-weights) network is left out: Inception-v3 on 299x299 images and a 2048-d FID
/// take minutes in the unoptimized test build (8.5 min for the smallest dcgan_faces64 run;
/// 30 s in release, see the scripts' headers).
#[test]
fn inception_option_is_wired_in_fid_scripts() {
    for name in ["dcgan_faces64", "wgan_faces"] {
        let (o, j, _) = run_seed(name, &["inception=no_such_inception.pth", "n_fid=4"]);
        let err = text(&o.stderr);
        assert!(!o.status.success(), "{name} ran without its weights file");
        assert_eq!(j["status"], "error", "{name}: {j}");
        assert!(
            err.contains("no_such_inception.pth") && err.contains("no such file"),
            "{name}: {err}"
        );
    }
}

#[test]
fn gan_train_tags_measures_checkpoints_and_resumes() {
    let src = r#"
        import "gan" as gan;
        import "models" as models;
        seed(3);
        let G = models::mlp([2, 8, 2], "relu");
        let D = models::mlp([2, 8, 1], "leaky_relu");
        let opt_g = adam(G, #{ lr: 1e-3 });
        let opt_d = adam(D, #{ lr: 1e-3 });
        let measure = |G, step| #{ spread: G.sample(randn([50, 2])).abs().mean().item() };
        gan::train(G, D, opt_g, opt_d, "ring8", #{ nz: 2, steps: param("steps", 6), batch: 16,
            tag: "toy", save_every: 3, measure: measure, measure_every: 2 });
        result("out", G.sample(ones([1, 2])).to_array());
    "#;
    let d = temp_dir("gan-train");
    let file = d.join("t.rhai");
    std::fs::write(&file, src).unwrap();
    let run = |out: &Path, extra: &[&str]| {
        let (o, j) = run_file(&file, out, extra);
        assert!(o.status.success(), "{}", text(&o.stderr));
        j
    };
    // an unbroken run of 6 steps
    let whole = d.join("whole");
    let j = run(&whole, &[]);
    let metrics = std::fs::read_to_string(whole.join("metrics.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = metrics
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 6, "{metrics}");
    assert!(
        rows.iter()
            .all(|r| r["d_loss_toy"].is_f64() && r["g_loss_toy"].is_f64())
    );
    let measured: Vec<i64> = rows
        .iter()
        .filter(|r| r["spread_toy"].is_f64())
        .map(|r| r["step"].as_i64().unwrap())
        .collect();
    assert_eq!(measured, vec![0, 2, 4, 5], "every 2 steps and the last");
    assert_files(
        &whole,
        &["checkpoints/last/checkpoint.json", "plots/losses_toy.png"],
    );
    // stopped after 3 steps (checkpoint at step 2), then resumed: the same weights
    let split = d.join("split");
    run(&split, &["--set", "steps=3"]);
    let r = run(&split, &["--resume"]);
    assert_eq!(
        r["results"]["out"], j["results"]["out"],
        "resumed run differs"
    );
}

#[test]
fn dtn_step_and_total_variation() {
    let src = r#"
        import "dtn" as dtn;
        seed(1);
        result("tv_flat", dtn::total_variation(ones([2, 3, 6, 6])).item());
        // vertical stripes 1, -1, 1, ...: |difference| 2 horizontally, 0 vertically
        let stripes = tensor([1.0, -1.0, 1.0, -1.0, 1.0, -1.0]).reshape([1, 1, 1, 6]).repeat([2, 3, 6, 1]);
        result("tv_stripes", dtn::total_variation(stripes).item());
        let f = sequential([flatten(), linear(48, 8), tanh()]).freeze();
        let g = sequential([linear(8, 48), tanh(), reshape([3, 4, 4])]);
        let D = sequential([flatten(), linear(48, 3)]);
        let opt_g = adam(g, #{ lr: 1e-3 });
        let opt_d = adam(D, #{ lr: 1e-3 });
        let before = f.sample(ones([1, 3, 4, 4])).to_array();
        let l = dtn::step(f, g, D, opt_g, opt_d, randn([4, 3, 4, 4]), randn([4, 3, 4, 4]).tanh(),
                          #{ gamma: 1.0 });
        result("losses", l);
        result("f_unchanged", f.sample(ones([1, 3, 4, 4])).to_array() == before);
        result("translated", dtn::translate(f, g, randn([2, 1, 4, 4]), #{}).shape());
    "#;
    let (o, j, _) = common::run_script("dtn-step", src, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let r = &j["results"];
    assert_eq!(r["tv_flat"].as_f64(), Some(0.0));
    assert!(
        (r["tv_stripes"].as_f64().unwrap() - 2.0).abs() < 1e-6,
        "{r}"
    );
    for k in ["d_loss", "l_gang", "l_const", "l_tid", "l_tv"] {
        assert!(
            r["losses"][k].as_f64().is_some_and(f64::is_finite),
            "{k}: {r}"
        );
    }
    assert_eq!(r["f_unchanged"], true, "f is frozen");
    assert_eq!(
        r["translated"],
        serde_json::json!([2, 3, 4, 4]),
        "grey input repeated to RGB"
    );
}

#[test]
fn classroom_quick_run() {
    let (out, j) = quick_run("classroom", &["steps=300"]);
    assert_files(
        &out,
        &[
            "plots/ring.gif",
            "plots/collapse.gif",
            "plots/pacgan.gif",
            "plots/drawn.gif",
            "plots/modes.png",
        ],
    );
    for tag in ["ring", "collapse", "pacgan"] {
        figure(&j, &format!("modes_{tag}"), 0.0, 8.0);
    }
    // without --live the page's controls keep their defaults and draw no live frames
    assert!(!out.join("live").exists());
}
