//! Notebooks in-process: which cells re-run after an edit, and that a re-run starts from an
//! unchanged snapshot (training in a later cell does not leak into it).

use ganbook::notebook::{Notebook, Outcome, Status};
use ganbook::state::RunState;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-nb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The random generator is one per process: tests that seed it run one at a time.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|p| p.into_inner())
}

fn notebook(dir: &Path, text: &str) -> Notebook {
    let script = dir.join("nb.rhai");
    std::fs::write(&script, text).unwrap();
    let ctx = RunState::new(BTreeMap::new(), dir.join("out"));
    std::fs::create_dir_all(dir.join("out")).unwrap();
    let mut nb = Notebook::new(&script, &ctx);
    nb.verbose = false;
    nb
}

const SCRIPT: &str = "// %% models\nseed(3);\nlet G = sequential([linear(2, 8), relu(), linear(8, 1)]);\nlet o = adam(G, #{lr: 0.05});\nlet H = G;\n\
// %% train\nprint(`before ${G.forward(ones([1, 2])).item()} draw ${randn([1]).item()}`);\n\
for i in 0..30 { o.step(mse(G.forward(toy2d(\"ring8\", 16)), 1.0)); }\nprint(`after ${H.forward(ones([1, 2])).item()}`);\n\
// %% report\nlet x = 1;\nprint(`x ${x}`);\n";

fn outputs(nb: &Notebook) -> Vec<String> {
    nb.records.iter().map(|r| r.output.clone()).collect()
}

#[test]
fn editing_the_last_cell_reruns_only_it() {
    let _serial = serial();
    let dir = temp_dir("last");
    let mut nb = notebook(&dir, SCRIPT);
    let first = nb.update().unwrap();
    assert_eq!(first.ran, vec![0, 1, 2]);
    std::fs::write(
        dir.join("nb.rhai"),
        SCRIPT.replace("let x = 1;", "let x = 2;"),
    )
    .unwrap();
    let second = nb.update().unwrap();
    assert_eq!(
        second,
        Outcome {
            reused: vec![0, 1],
            ran: vec![2],
            ..Default::default()
        }
    );
    assert_eq!(nb.records[2].output, "x 2\n");
    assert_eq!(nb.records[1].status, Status::Reused);
    let html = std::fs::read_to_string(dir.join("out/index.html")).unwrap();
    assert!(html.contains("x 2") && html.contains("reused"), "{html}");
    // Nothing changed: nothing runs.
    let third = nb.update().unwrap();
    assert_eq!(third.ran, Vec::<usize>::new());
}

#[test]
fn rerun_starts_from_a_snapshot_that_training_did_not_touch() {
    let _serial = serial();
    let dir = temp_dir("snap");
    let mut nb = notebook(&dir, SCRIPT);
    nb.update().unwrap();
    let before = outputs(&nb)[1].clone();
    // Editing the training cell re-runs it from the state after cell 1: the same untrained
    // model (weights and the optimizer's shared handle), the same random draw.
    std::fs::write(
        dir.join("nb.rhai"),
        SCRIPT.replace("for i in 0..30", "// edited\nfor i in 0..30"),
    )
    .unwrap();
    let o = nb.update().unwrap();
    assert_eq!(o.reused, vec![0]);
    assert_eq!(o.ran, vec![1, 2]);
    let after = outputs(&nb)[1].clone();
    assert_eq!(
        before, after,
        "a re-run must see the snapshot, not the trained model"
    );
    let line = |s: &str, key: &str| {
        s.split_whitespace()
            .skip_while(|w| *w != key)
            .nth(1)
            .unwrap()
            .to_string()
    };
    // The optimizer copy trains the model copy that `H` also names.
    assert_ne!(line(&after, "before"), line(&after, "after"));
}

#[test]
fn a_failing_cell_stops_and_a_fix_reruns_from_it() {
    let _serial = serial();
    let dir = temp_dir("fail");
    let bad = SCRIPT.replace("let x = 1;", "let x = undefined_thing;");
    let mut nb = notebook(&dir, &bad);
    let o = nb.update().unwrap();
    assert_eq!(o.failed, Some(2));
    let error = nb.records[2].error.clone().unwrap_or_default();
    assert!(error.starts_with("error: nb.rhai:11:"), "{error}");
    std::fs::write(dir.join("nb.rhai"), SCRIPT).unwrap();
    let o = nb.update().unwrap();
    assert_eq!((o.reused, o.ran), (vec![0, 1], vec![2]));
}

#[test]
fn editing_a_module_reruns_from_the_cell_that_imports_it() {
    let _serial = serial();
    let dir = temp_dir("module");
    std::fs::write(dir.join("helpers.rhai"), "fn k() { 1 }\n").unwrap();
    let text = "// %% a\nlet a = 1;\n// %% b\nimport \"helpers\" as h;\nlet b = h::k();\n// %% c\nprint(`${a + h::k()}`);\n";
    let mut nb = notebook(&dir, text);
    let o = nb.update().unwrap();
    assert_eq!(o.ran, vec![0, 1, 2], "{:?}", nb.records);
    assert_eq!(nb.records[2].output, "2\n");
    std::fs::write(dir.join("helpers.rhai"), "fn k() { 10 }\n").unwrap();
    let o = nb.update().unwrap();
    assert_eq!((o.reused, o.ran), (vec![0], vec![1, 2]));
    assert_eq!(nb.records[2].output, "11\n");
}
