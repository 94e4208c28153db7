//! A training run killed with SIGKILL while it writes its checkpoint loses only the steps
//! since the last good checkpoint: that one is left intact, and `ganbook run --resume` then
//! ends with the same losses and weights as a run that was never killed.
//!
//! The moment is made reliable with the failpoint `GANBOOK_FAILPOINT=<stage>=<ms>`
//! (crates/ganbook-core/src/checkpoint.rs): every save pauses at the stage, and the test kills the process once
//! it sees the run folder in that state. `checkpoint_write`: the new checkpoint's files are
//! written to `last.tmp` but its manifest is not; `checkpoint_swap`: between the renames that
//! swap it in, when `last` has just become `last.old`.

mod common;

use common::text;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = r#"
seed(5);
let steps = param("steps", 12);
let G = sequential([linear(2, 16), relu(), linear(16, 2)]);
let D = sequential([linear(2, 16), leaky_relu(0.2), linear(16, 1)]);
let opt_g = adam(G, #{ lr: 1e-3, betas: [0.5, 0.999] });
let opt_d = adam(D, #{ lr: 1e-3, betas: [0.5, 0.999] });
let start = resume(#{ G: G, D: D, opt_g: opt_g, opt_d: opt_d });
for step in start..steps {
    let real = toy2d("ring8", 64);
    let fake = G.forward(randn([64, 2]));
    let d_loss = bce_logits(D.forward(real), 1.0) + bce_logits(D.forward(fake.detach()), 0.0);
    opt_d.step(d_loss, "d_loss");
    let g_loss = bce_logits(D.forward(fake), 1.0);
    opt_g.step(g_loss, "g_loss");
    log(step, #{ d_loss: d_loss, g_loss: g_loss });
    save(#{ G: G, D: D, opt_g: opt_g, opt_d: opt_d, step: step }, "last");
}
result("w", G.forward(ones([1, 2])).sum().item());
"#;

/// A fresh folder holding the script; its run folder is `out/` inside.
fn setup(tag: &str) -> PathBuf {
    let d = common::temp_dir(&format!("kill-{tag}"));
    std::fs::write(d.join("train.rhai"), SCRIPT).unwrap();
    d
}

fn command(d: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ganbook"));
    c.arg("run")
        .arg(d.join("train.rhai"))
        .arg("--out")
        .arg(d.join("out"))
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// The losses in metrics.jsonl, one (step, d_loss, g_loss) per row.
fn losses(out: &Path) -> Vec<(i64, f64, f64)> {
    std::fs::read_to_string(out.join("metrics.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["step"].as_i64().unwrap(),
                v["d_loss"].as_f64().unwrap(),
                v["g_loss"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// The step saved in a checkpoint folder, if its manifest is there and reads.
fn saved_step(dir: &Path) -> Option<i64> {
    let text = std::fs::read_to_string(dir.join("checkpoint.json")).ok()?;
    serde_json::from_str::<serde_json::Value>(&text).ok()?["step"].as_i64()
}

/// Starts a run that pauses at `stage` in every save, waits until `caught` says the run
/// folder's checkpoints are in that stage (after step 3 at least) and kills it with
/// SIGKILL. Returns the step of the last good checkpoint at that moment.
fn kill_during(d: &Path, stage: &str, caught: impl Fn(&Path) -> Option<i64>) -> i64 {
    let mut child = command(d, &[])
        .env("GANBOOK_FAILPOINT", format!("{stage}=400"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let ckpts = d.join("out/checkpoints");
    let deadline = Instant::now() + Duration::from_secs(120);
    let good = loop {
        if let Some(step) = caught(&ckpts).filter(|&s| s >= 3) {
            break step;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the run ended ({status}) before it was caught in {stage}");
        }
        assert!(Instant::now() < deadline, "never caught in {stage}");
        std::thread::sleep(Duration::from_millis(10));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        caught(&ckpts).is_some(),
        "the run left {stage} before the kill (the pause is too short for this machine?)"
    );
    good
}

/// Kills a run at `stage`, checks the last good checkpoint survived, resumes it and compares
/// with a run that was never killed.
fn killed_and_resumed_matches_unbroken(
    tag: &str,
    stage: &str,
    caught: impl Fn(&Path) -> Option<i64>,
) {
    let whole = setup(&format!("{tag}-whole"));
    let o = command(&whole, &[]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let expected = losses(&whole.join("out"));
    let expected_w = common::run_json(&whole.join("out"))["results"]["w"].clone();
    assert_eq!(expected.len(), 12);

    let d = setup(tag);
    let good = kill_during(&d, stage, &caught);
    assert!(
        common::run_json(&d.join("out")).is_null(),
        "a killed run writes no run.json"
    );

    let o = command(&d, &["--resume"]).output().unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    let j = common::run_json(&d.join("out"));
    assert_eq!(
        j["resumed_from"], good,
        "resumed from the last good checkpoint"
    );
    assert_eq!(j["status"], "ok");
    assert_eq!(
        losses(&d.join("out")),
        expected,
        "the same losses at every step as the run that was never killed"
    );
    assert_eq!(j["results"]["w"], expected_w, "the same final weights");
    let ckpts = d.join("out/checkpoints");
    assert_eq!(saved_step(&ckpts.join("last")), Some(11));
    assert!(!ckpts.join("last.old").exists() && !ckpts.join("last.tmp").exists());
}

#[test]
fn killed_while_writing_the_new_checkpoint() {
    // last.tmp holds model files but no manifest yet; last is the previous, complete one
    killed_and_resumed_matches_unbroken("write", "checkpoint_write", |c| {
        let tmp = c.join("last.tmp");
        (tmp.is_dir() && !tmp.join("checkpoint.json").exists())
            .then(|| saved_step(&c.join("last")))
            .flatten()
    });
}

#[test]
fn killed_between_the_renames_that_swap_it_in() {
    // last is gone for the moment; last.old is the previous, complete checkpoint
    killed_and_resumed_matches_unbroken("swap", "checkpoint_swap", |c| {
        (!c.join("last").exists())
            .then(|| saved_step(&c.join("last.old")))
            .flatten()
    });
}
