//! `ganbook run --resume`: a run stopped after its checkpoint continues to the same weights as
//! one that never stopped, with its metrics kept once each.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

const SCRIPT: &str = r#"
seed(3);
let steps = param("steps", 6);
let G = sequential([linear(2, 8), relu(), linear(8, 1)]);
let opt = adam(G, #{lr: 0.05});
let start = resume(#{G: G, opt: opt});
result("start", start);
result("resuming", resuming());
for step in start..steps {
    let loss = mse(G.forward(randn([8, 2])), randn([8, 1]));
    opt.step(loss);
    log(step, #{loss: loss});
    save(#{G: G, opt: opt, step: step}, "last");
}
result("w", G.forward(ones([1, 2])).item());
"#;

fn dir(name: &str) -> PathBuf {
    let d = common::temp_dir(&format!("resume-{name}"));
    std::fs::write(d.join("train.rhai"), SCRIPT).unwrap();
    d
}

fn run(d: &Path, extra: &[&str]) -> (Output, serde_json::Value) {
    let script = d.join("train.rhai");
    let out = d.join("out");
    let mut args = vec![
        "run",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = common::ganbook(&args);
    let j = common::run_json(&out);
    (o, j)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).to_string()
}

#[test]
fn a_resumed_run_ends_where_an_unbroken_one_does() {
    let whole = dir("whole");
    let (o, full) = run(&whole, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(full["results"]["start"], 0);
    assert_eq!(full["results"]["resuming"], false);
    assert!(full["resumed_from"].is_null());

    let parts = dir("parts");
    let (o, first) = run(&parts, &["--set", "steps=3"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(first["last_step"], 2);
    // a stale row after the checkpoint (as if the run died after logging step 3)
    let metrics = parts.join("out/metrics.jsonl");
    let mut m = std::fs::read_to_string(&metrics).unwrap();
    m += "{\"step\":3,\"loss\":99.0}\n";
    std::fs::write(&metrics, m).unwrap();

    let (o, second) = run(&parts, &["--set", "steps=6", "--resume"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(second["resumed_from"], 2);
    assert_eq!(second["results"]["start"], 3);
    assert_eq!(second["results"]["resuming"], true);
    assert_eq!(
        second["results"]["w"], full["results"]["w"],
        "same weights as the unbroken run"
    );
    let rows: Vec<serde_json::Value> = std::fs::read_to_string(&metrics)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let steps: Vec<i64> = rows.iter().map(|r| r["step"].as_i64().unwrap()).collect();
    assert_eq!(steps, vec![0, 1, 2, 3, 4, 5], "each step logged once");
    assert_ne!(rows[3]["loss"], 99.0, "the stale row was dropped");
    let whole_loss: Vec<serde_json::Value> =
        std::fs::read_to_string(whole.join("out/metrics.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["loss"].clone())
            .collect();
    let loss: Vec<serde_json::Value> = rows.iter().map(|r| r["loss"].clone()).collect();
    assert_eq!(loss, whole_loss, "the same losses as the unbroken run");
}

#[test]
fn resume_without_a_checkpoint_is_a_usage_error() {
    let d = dir("none");
    let (o, _) = run(&d, &["--resume"]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("nothing to resume"), "{err}");
    assert!(err.contains("checkpoint 'last'"), "{err}");
}
