//! A new run starts in a clean run folder: the previous run is moved aside into
//! `previous/<time>/` (never deleted) and the run says so; folders that are not run folders
//! are refused; `--set` names are checked against the script's `param` calls before it runs.

mod common;

use common::{ganbook, run_file, run_json, temp_dir, text};
use std::path::Path;

/// Writes `n` frames (steps 0..n) as the GIF frames of a run would be.
const FRAMES: &str = "print(\"started\");\nlet n = param(\"n\", 3);\nfor i in 0..n { save_npy(ones([1]), `frames/step_${i}.npy`); }\n";

fn frames(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("frames")).map_or(0, |d| d.count())
}

/// The TensorBoard event files in a folder.
fn event_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| {
        d.filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().contains("tfevents"))
        })
        .count()
    })
}

#[test]
fn a_new_run_moves_the_previous_one_aside() {
    let d = temp_dir("move-aside");
    let script = d.join("frames.rhai");
    std::fs::write(&script, FRAMES).unwrap();
    let out = d.join("out");
    let run = |extra: &[&str]| {
        let (o, _) = run_file(&script, &out, extra);
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stderr)
    };
    let first = run(&["--set", "n=5"]);
    assert!(!first.contains("moved"), "{first}");
    assert_eq!(frames(&out), 5);
    let started = run_json(&out)["started"].as_str().unwrap().to_string();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();

    let second = run(&["--set", "n=2"]);
    assert_eq!(frames(&out), 2, "only this run's frames");
    // named after the moved run's start, 2026-12-02T09:40:00Z -> 2026-12-02T09-40-00
    let name = started.trim_end_matches('Z').replace(':', "-");
    let moved = out.join("previous").join(&name);
    assert_eq!(
        second.trim(),
        format!("moved the previous run to {}", moved.display())
    );
    assert_eq!(frames(&moved), 5);
    assert_eq!(
        std::fs::read_to_string(moved.join("notes.txt")).unwrap(),
        "mine",
        "a file the user put there is moved too, not lost"
    );
    assert!(!out.join("notes.txt").exists());
    assert_eq!(
        (event_files(&out), event_files(&moved)),
        (1, 1),
        "one events file each"
    );
    assert_eq!(run_json(&out)["params"]["used"]["n"], 2);
    assert_eq!(run_json(&moved)["params"]["used"]["n"], 5);

    let third = run(&[]);
    assert!(
        third.contains("(2 earlier runs are kept in") && third.contains("delete those"),
        "{third}"
    );
    assert_eq!(std::fs::read_dir(out.join("previous")).unwrap().count(), 2);
    assert_eq!(frames(&out), 3);
}

#[test]
fn resume_keeps_the_run_folder() {
    let d = temp_dir("resume-keeps");
    let script = d.join("r.rhai");
    std::fs::write(
        &script,
        "let G = sequential([linear(1, 1)]);\nlet s = resume(#{G: G});\nsave(#{G: G, step: s + 1}, \"last\");\n",
    )
    .unwrap();
    let out = d.join("out");
    let args = [
        "run",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    assert!(ganbook(&args).status.success());
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = ganbook(&[&args[..], &["--resume"]].concat());
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("moved"));
    assert!(out.join("notes.txt").exists() && !out.join("previous").exists());
    assert_eq!(run_json(&out)["resumed_from"], 1);
    assert_eq!(
        event_files(&out),
        2,
        "the first attempt's events file and the resumed one's"
    );
}

#[test]
fn a_folder_holding_only_an_events_file_is_a_run_folder() {
    // as a run killed at its start leaves it (it writes its events file first)
    let d = temp_dir("events-only");
    let script = d.join("frames.rhai");
    std::fs::write(&script, FRAMES).unwrap();
    let out = d.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("events.out.tfevents.1796000000.host"), b"").unwrap();
    let (o, _) = run_file(&script, &out, &[]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("moved the previous run"));
    let previous = std::fs::read_dir(out.join("previous"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap();
    assert_eq!(event_files(&previous.path()), 1);
    assert_eq!(event_files(&out), 1);
}

#[test]
fn a_folder_that_is_no_run_folder_is_refused() {
    let d = temp_dir("not-a-run");
    let script = d.join("frames.rhai");
    std::fs::write(&script, FRAMES).unwrap();
    let own = d.join("own");
    std::fs::create_dir_all(&own).unwrap();
    std::fs::write(own.join("thesis.tex"), "mine").unwrap();
    let o = ganbook(&[
        "run",
        script.to_str().unwrap(),
        "--out",
        own.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("holds no ganbook run"), "{err}");
    assert!(!text(&o.stdout).contains("started"), "nothing ran");
    assert_eq!(std::fs::read_dir(&own).unwrap().count(), 1, "nothing moved");

    // the script's own folder (even once it holds a run) and the working folder
    std::fs::write(d.join("run.json"), "{}").unwrap();
    let o = ganbook(&[
        "run",
        script.to_str().unwrap(),
        "--out",
        d.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(
        err.contains("holds the script or the working folder"),
        "{err}"
    );
    assert!(script.exists() && !d.join("previous").exists());
    let o = ganbook(&["run", script.to_str().unwrap(), "--out", "."]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("Cargo.toml")
            .exists()
    );
}

#[test]
fn a_set_name_the_script_never_reads_is_refused_before_it_runs() {
    let d = temp_dir("set-typo");
    let script = d.join("frames.rhai");
    std::fs::write(&script, FRAMES).unwrap();
    let out = d.join("out");
    let o = ganbook(&[
        "run",
        script.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--set",
        "m=4",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        text(&o.stderr).trim(),
        "error: --set m: the script has no param(\"m\", ...); did you mean n? (its params: n)"
    );
    assert!(!text(&o.stdout).contains("started"), "nothing ran");
    assert!(!out.exists(), "no run folder made");

    // a typo of a seed script's param (its module is parsed too)
    let o = ganbook(&[
        "run",
        "scripts/gan_ring8.rhai",
        "--out",
        out.to_str().unwrap(),
        "--set",
        "steps=1",
        "--set",
        "stepz=50",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = text(&o.stderr);
    assert!(err.contains("did you mean steps?"), "{err}");
    assert!(
        err.contains("its params: batch, every, hidden, lr, lr_d, seed, steps"),
        "{err}"
    );
}

#[test]
fn a_computed_param_name_leaves_the_check_to_the_run() {
    let (o, j, _) = common::run_script(
        "set-dynamic",
        "let name = \"st\" + \"eps\";\nresult(\"steps\", param(name, 1));\n",
        &["--set", "steps=4", "--set", "other=1"],
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(j["results"]["steps"], 4);
    let err = text(&o.stderr);
    assert!(
        err.contains("warning: --set other was never read by the script"),
        "{err}"
    );
    assert!(!err.contains("--set steps was never read"), "{err}");
}
