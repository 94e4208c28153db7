//! NaN/Inf watch: warnings with the step and the loss's name, run.json's `warnings`,
//! `nan_count` and `nan_steps`, skipped updates, and stopping with status "nan".

mod common;

use common::text;
use std::path::{Path, PathBuf};
use std::process::Output;

fn run(script: &str, name: &str, extra: &[&str]) -> (Output, serde_json::Value, PathBuf) {
    common::run_script(&format!("nan-{name}"), script, extra)
}

/// From step 3 on the loss is NaN (0/0 times the output).
const TRAIN: &str = r#"
seed(1);
let G = sequential([linear(2, 1)]);
let opt = adam(G, #{lr: 0.1});
for step in 0..6 {
    let out = G.forward(randn([4, 2])).mean();
    let loss = if step >= 3 { out * (0.0 / 0.0) } else { out };
    OPT_STEP;
    log(step, #{g_loss: loss}LOG_OPTS);
    save(#{G: G, step: step}, "last");
}
result("w", G.forward(ones([1, 2])).item());
"#;

fn script(opt_step: &str, log_opts: &str) -> String {
    TRAIN
        .replace("OPT_STEP", opt_step)
        .replace("LOG_OPTS", log_opts)
}

fn checkpoint_step(out: &Path) -> i64 {
    let m: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("checkpoints/last/checkpoint.json")).unwrap(),
    )
    .unwrap();
    m["step"].as_i64().unwrap()
}

/// The run stopped with exit code 3, status "nan" and an error that says `what`.
fn assert_stopped_on_nan(o: &Output, j: &serde_json::Value, what: &str) {
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert_eq!(j["status"], "nan");
    assert!(j["error"].as_str().unwrap().contains(what), "{j}");
}

#[test]
fn a_nan_loss_is_warned_about_recorded_and_skipped() {
    let (o, j, out) = run(&script("opt.step(loss, \"g_loss\")", ""), "warn", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("warning: g_loss is NaN at step 2"), "{err}");
    assert!(err.contains("warning: g_loss is NaN at step 3"), "{err}");
    assert_eq!(j["status"], "ok");
    // 3 steps with a NaN, each seen by opt.step and by log
    assert_eq!(j["nan_count"], 6);
    assert_eq!(j["nan_steps"], serde_json::json!([2, 3, 4, 5]));
    assert!(j["warnings"][0].as_str().unwrap().contains("g_loss"));
    // the updates with a NaN loss were skipped: the weights are still numbers
    assert!(j["results"]["w"].as_f64().unwrap().is_finite(), "{j}");
    assert_eq!(checkpoint_step(&out), 5);
}

#[test]
fn an_unnamed_loss_is_called_loss() {
    let (o, j, _) = run(&script("opt.step(loss)", ""), "unnamed", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("warning: loss is NaN"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        j["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with("loss is NaN")
    );
}

#[test]
fn log_stop_on_nan_stops_keeping_the_last_good_checkpoint() {
    let (o, j, out) = run(
        &script("opt.step(loss, \"g_loss\")", ", #{stop_on_nan: true}"),
        "stop",
        &[],
    );
    assert_stopped_on_nan(&o, &j, "g_loss is NaN at step 3");
    assert_eq!(j["last_step"], 3);
    assert_eq!(checkpoint_step(&out), 2, "the save after the NaN never ran");
}

#[test]
fn stop_on_nan_flag_stops_at_the_first_nan_loss() {
    let (o, j, out) = run(
        &script("opt.step(loss, \"g_loss\")", ""),
        "flag",
        &["--stop-on-nan"],
    );
    assert_stopped_on_nan(&o, &j, "g_loss is NaN at step 2");
    assert_eq!(j["nan_count"], 1);
    assert_eq!(
        j["last_step"], 2,
        "stopped in opt.step, before step 3 was logged"
    );
    assert_eq!(checkpoint_step(&out), 2);
}

#[test]
fn inf_in_log_is_caught() {
    let (o, j, _) = run("log(7, #{d_loss: 1.0 / 0.0, ok: 1.0});", "inf", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("warning: d_loss is inf at step 7"));
    assert_eq!(j["nan_steps"], serde_json::json!([7]));
    assert_eq!(j["nan_count"], 1);
}

/// The loss is finite (0) but its gradient is not: d sqrt(y)/dy is infinite at y = 0, times
/// the 0 that made y gives NaN.
const NAN_GRADIENT: &str = r#"
seed(1);
let G = sequential([linear(2, 1)]);
let opt = adam(G, #{lr: 0.1});
for step in 0..3 {
    let before = G.forward(ones([1, 2])).item();
    let loss = if step == 1 { (G.forward(randn([4, 2])) * 0.0).pow(0.5).mean() }
               else { G.forward(randn([4, 2])).mean() };
    log(step, #{g_loss: loss});
    if step == 1 { result("loss", loss.item()); }
    opt.step(loss, "g_loss");
    if step == 1 { result("unchanged", G.forward(ones([1, 2])).item() == before); }
}
result("w", G.forward(ones([1, 2])).item());
"#;

#[test]
fn a_nan_gradient_is_warned_about_recorded_and_skipped() {
    let (o, j, _) = run(NAN_GRADIENT, "grad", &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(j["results"]["loss"], 0.0, "the loss itself is finite");
    let err = text(&o.stderr);
    assert!(
        err.contains("warning: a gradient of g_loss is NaN at step 1"),
        "{err}"
    );
    assert_eq!(j["nan_count"], 1);
    assert_eq!(j["nan_steps"], serde_json::json!([1]));
    assert_eq!(j["results"]["unchanged"], true, "the update was skipped");
    assert!(j["results"]["w"].as_f64().unwrap().is_finite(), "{j}");

    let (o, j, _) = run(NAN_GRADIENT, "grad-stop", &["--stop-on-nan"]);
    assert_stopped_on_nan(&o, &j, "a gradient of g_loss is NaN at step 1");
}
