//! `ganbook run --watch` driven by file edits: which cells re-run, and a save during a long
//! cell interrupts it.

mod common;

use common::child::Ganbook;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ganbook-watch-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

const SCRIPT: &str = "// %% a\nlet a = 1;\n// %% b\nlet b = a + 1;\nlet n = 0;\nfor i in 0..N { n += 1; }\n// %% c\nprint(`c ${a + b}`);\n";

#[test]
fn edits_rerun_from_the_first_changed_cell() {
    let dir = temp_dir("edits");
    let script = dir.join("nb.rhai");
    std::fs::write(&script, SCRIPT.replace("N", "10")).unwrap();
    let mut w = Ganbook::watch(&script, &dir.join("out"));
    assert_eq!(w.wait_for("%% done"), "%% done: reused [] ran [1,2,3]");
    std::fs::write(
        &script,
        SCRIPT.replace("N", "10").replace("a + b", "a + b + 10"),
    )
    .unwrap();
    assert_eq!(w.wait_for("%% done"), "%% done: reused [1,2] ran [3]");
    assert!(w.seen.iter().any(|l| l == "c 13"), "{:?}", w.seen);
    std::fs::write(&script, SCRIPT.replace("N", "20")).unwrap();
    assert_eq!(w.wait_for("%% done"), "%% done: reused [1] ran [2,3]");
    // A syntax error fails its cell; the cells before it are kept.
    std::fs::write(
        &script,
        SCRIPT.replace("N", "20").replace("let a = 1;", "let a = ;"),
    )
    .unwrap();
    assert_eq!(
        w.wait_for("%% done"),
        "%% done: reused [] ran [] failed [1]"
    );
    let html = std::fs::read_to_string(dir.join("out/index.html")).unwrap();
    assert!(html.contains("class=\"cell failed\""), "{html}");
    assert!(html.contains("location.reload()"));
    // the error in a red box, naming the script relative to its folder
    assert!(
        html.contains("<pre class=\"error failed\">error: nb.rhai:2:"),
        "{html}"
    );
    assert!(!html.contains(dir.to_str().unwrap()), "{html}");
}

#[test]
fn a_save_during_a_long_cell_interrupts_it() {
    let dir = temp_dir("interrupt");
    let script = dir.join("nb.rhai");
    std::fs::write(&script, SCRIPT.replace("N", "1000000000")).unwrap();
    let mut w = Ganbook::watch(&script, &dir.join("out"));
    w.wait_for("%% cell 2 \"b\": running");
    std::thread::sleep(Duration::from_millis(300));
    std::fs::write(&script, SCRIPT.replace("N", "5")).unwrap();
    assert!(w.wait_for("%% cell 2").contains("interrupted"));
    assert_eq!(
        w.wait_for("%% done"),
        "%% done: reused [] ran [1] interrupted [2]"
    );
    assert_eq!(w.wait_for("%% done"), "%% done: reused [1] ran [2,3]");
}

#[test]
fn the_notebook_bench_reruns_only_the_last_cell() {
    let exe = std::path::Path::new(env!("CARGO_BIN_EXE_ganbook"));
    let (times, summaries) = ganbook::bench::notebook::measure(exe, 0.2, 2).unwrap();
    assert_eq!(times.len(), 2);
    assert_eq!(summaries[0], "%% done: reused [] ran [1,2,3]");
    assert_eq!(summaries[1..], ["%% done: reused [1,2] ran [3]"; 2]);
}

/// Waits (up to 20 s) for `path` to exist and satisfy `ok`; its text.
fn wait_for_file(path: &std::path::Path, ok: impl Fn(&str) -> bool) -> String {
    for _ in 0..2000 {
        if let Ok(t) = std::fs::read_to_string(path)
            && ok(&t)
        {
            return t;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{} never came", path.display());
}

#[test]
fn the_watcher_writes_run_json_and_its_view_says_when_it_stopped() {
    let dir = temp_dir("stopped");
    let script = dir.join("nb.rhai");
    std::fs::write(
        &script,
        format!("// a notebook to watch\n{}", SCRIPT.replace("N", "10")),
    )
    .unwrap();
    let out = dir.join("out");
    // an earlier run's folder: moved aside when the watcher starts
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("run.json"), "{}").unwrap();
    let mut w = Ganbook::watch(&script, &out);
    assert_eq!(w.wait_for("%% done"), "%% done: reused [] ran [1,2,3]");
    assert_eq!(std::fs::read_dir(out.join("previous")).unwrap().count(), 1);
    let json = wait_for_file(&out.join("run.json"), |t| t.contains("\"status\": \"ok\""));
    assert!(json.contains("\"script\""), "{json}");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(html.contains("<div class=\"about\">a notebook to watch</div>"));
    assert!(html.contains("state watching") && html.contains("location.reload()"));
    assert_eq!(
        html.matches("<section").count(),
        3,
        "the comment is no cell"
    );

    let pid = w.child.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    assert_eq!(w.child.wait().unwrap().code(), Some(130));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(j["status"], "stopped");
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("<span class=\"state stopped\">stopped</span>"),
        "{html}"
    );
    assert!(
        !html.contains("location.reload()"),
        "a stopped watcher's page stays still"
    );
    assert!(html.contains("<a href=\"run.json\">"));
}
