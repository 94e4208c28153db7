//! notebook.ipynb: every run (and `run --watch`, after each re-run) leaves its cells, their
//! outputs, images, errors and execution counts as a Jupyter notebook for the ganbook kernel,
//! which Jupyter's own nbformat accepts; and `ganbook run x.ipynb` runs a notebook's code
//! cells (markdown skipped), so a run's notebook runs again with the same results.

mod common;

use base64::Engine as _;
use common::{ganbook, jupyter_python, run_file, run_script, temp_dir, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

const SCRIPT: &str = "// Two pictures and a result:\n// a small notebook.\n\n\
// %% data\nseed(7);\nlet x = randn([4, 1, 8, 8]);\nprint(\"drawn\");\n\
// %% pictures\ngrid(x, \"samples/x\");\ngrid(x * 2.0, \"samples/y\");\nprint(`shape ${x.shape()}`);\n\
// %% report\nresult(\"mean\", x.mean().item());\n";

const FAILING: &str = "// %% fine\nprint(\"one\");\n// %% broken\nprint(\"two\");\nlet y = nope();\n// %% never\nprint(\"three\");\n";

fn read_notebook(out: &Path) -> Value {
    let t = std::fs::read_to_string(out.join("notebook.ipynb")).expect("notebook.ipynb written");
    serde_json::from_str(&t).expect("notebook.ipynb is JSON")
}

fn code_cells(nb: &Value) -> Vec<&Value> {
    nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["cell_type"] == "code")
        .collect()
}

/// A source or stream text as one string (nbformat stores lists of lines).
fn joined(v: &Value) -> String {
    match v {
        Value::Array(a) => a.iter().map(|l| l.as_str().unwrap()).collect(),
        Value::String(s) => s.clone(),
        other => panic!("not text: {other}"),
    }
}

fn output_types(cell: &Value) -> Vec<String> {
    cell["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["output_type"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_run_leaves_a_notebook_of_its_cells_outputs_and_images() {
    let (o, run, out) = run_script("ipynb-ok", SCRIPT, &[]);
    assert_eq!(run["status"], "ok", "{}", text(&o.stderr));
    let nb = read_notebook(&out);
    assert_eq!(
        (nb["nbformat"].as_i64(), nb["nbformat_minor"].as_i64()),
        (Some(4), Some(5))
    );
    let spec = &nb["metadata"]["kernelspec"];
    assert_eq!(
        (&spec["name"], &spec["display_name"], &spec["language"]),
        (
            &Value::from("ganbook"),
            &Value::from("ganbook (Rhai)"),
            &Value::from("rhai")
        )
    );
    assert_eq!(nb["metadata"]["language_info"]["name"], "rhai");
    assert_eq!(nb["metadata"]["language_info"]["file_extension"], ".rhai");

    let cells = nb["cells"].as_array().unwrap();
    let kinds: Vec<&str> = cells
        .iter()
        .map(|c| c["cell_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "markdown", "markdown", "code", "markdown", "code", "markdown", "code"
        ]
    );
    assert_eq!(
        joined(&cells[0]["source"]),
        "Two pictures and a result:\na small notebook."
    );
    assert_eq!(joined(&cells[1]["source"]), "## data");
    assert_eq!(joined(&cells[5]["source"]), "## report");
    let ids: std::collections::BTreeSet<&str> =
        cells.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), cells.len(), "cell ids are unique");

    let code = code_cells(&nb);
    assert_eq!(
        joined(&code[0]["source"]),
        "seed(7);\nlet x = randn([4, 1, 8, 8]);\nprint(\"drawn\");",
        "the source without its // %% line"
    );
    let counts: Vec<&Value> = code.iter().map(|c| &c["execution_count"]).collect();
    assert_eq!(counts, [&Value::from(1), &Value::from(2), &Value::from(3)]);
    assert_eq!(output_types(code[0]), ["stream"]);
    assert_eq!(code[0]["outputs"][0]["name"], "stdout");
    assert_eq!(joined(&code[0]["outputs"][0]["text"]), "drawn\n");

    // the pictures cell: its printed line, then its two images as PNG display data
    assert_eq!(
        output_types(code[1]),
        ["stream", "display_data", "display_data"]
    );
    assert_eq!(
        joined(&code[1]["outputs"][0]["text"]),
        "shape [4, 1, 8, 8]\n"
    );
    for (k, name) in [(1, "samples/x.png"), (2, "samples/y.png")] {
        let data = &code[1]["outputs"][k]["data"];
        assert_eq!(joined(&data["text/plain"]), name);
        let png = base64::engine::general_purpose::STANDARD
            .decode(data["image/png"].as_str().unwrap())
            .expect("base64");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name} is a PNG");
        assert_eq!(
            png,
            std::fs::read(out.join(name)).unwrap(),
            "{name}'s bytes"
        );
    }
    assert!(
        output_types(code[2]).is_empty(),
        "the report cell prints nothing"
    );
}

#[test]
fn a_failed_run_shows_the_error_and_leaves_later_cells_without_a_count() {
    let (o, run, out) = run_script("ipynb-fail", FAILING, &[]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(run["status"], "error");
    let nb = read_notebook(&out);
    let code = code_cells(&nb);
    assert_eq!(code.len(), 3);
    let counts: Vec<&Value> = code.iter().map(|c| &c["execution_count"]).collect();
    assert_eq!(counts, [&Value::from(1), &Value::from(2), &Value::Null]);
    assert_eq!(output_types(code[1]), ["stream", "error"]);
    let error = &code[1]["outputs"][1];
    assert_eq!(error["ename"], "ScriptError");
    let evalue = error["evalue"].as_str().unwrap();
    assert!(
        evalue.contains("ipynb-fail.rhai:5:9") && evalue.contains("nope"),
        "{evalue}"
    );
    let traceback = error["traceback"].as_array().unwrap();
    assert!(!traceback.is_empty() && traceback[0] == error["evalue"]);
    assert!(
        output_types(code[2]).is_empty(),
        "the cell after it did not run"
    );
    assert_eq!(code[2]["metadata"]["ganbook"]["status"], "pending");
}

#[test]
fn jupyters_nbformat_accepts_the_notebooks() {
    let Some(python) = jupyter_python() else {
        return;
    };
    let mut files = Vec::new();
    for (tag, src) in [("ipynb-valid-ok", SCRIPT), ("ipynb-valid-fail", FAILING)] {
        let (_, _, out) = run_script(tag, src, &[]);
        files.push(out.join("notebook.ipynb"));
    }
    let check = "import sys, nbformat\n\
        for f in sys.argv[1:]:\n\
        \x20   nb = nbformat.read(f, as_version=nbformat.NO_CONVERT)\n\
        \x20   nbformat.validate(nb)\n\
        \x20   assert (nb.nbformat, nb.nbformat_minor) == (4, 5), f\n\
        \x20   assert nb.metadata.kernelspec.name == 'ganbook', f\n\
        \x20   print('valid', len(nb.cells))\n";
    let o = Command::new(python)
        .arg("-c")
        .arg(check)
        .args(&files)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "valid 7\nvalid 6\n");
}

/// A notebook as JupyterLab saves one: markdown (with text that is not Rhai), code cells with
/// outputs of an earlier session, a raw cell, an empty code cell at the end.
const HAND_WRITTEN: &str = r###"{
 "cells": [
  {"cell_type": "markdown", "id": "intro", "metadata": {},
   "source": ["# A hand-written notebook\n", "\n", "This prose is *not* code: let = (\n"]},
  {"cell_type": "markdown", "id": "t1", "metadata": {}, "source": "## numbers"},
  {"cell_type": "code", "execution_count": 4, "id": "c1", "metadata": {},
   "outputs": [{"name": "stdout", "output_type": "stream", "text": ["old output\n"]}],
   "source": ["let a = 20;\n", "let b = 22;"]},
  {"cell_type": "raw", "id": "r1", "metadata": {}, "source": ["raw text ) ( is skipped"]},
  {"cell_type": "markdown", "id": "m2", "metadata": {}, "source": ["More notes, not a heading"]},
  {"cell_type": "code", "execution_count": 5, "id": "c2", "metadata": {}, "outputs": [],
   "source": "print(`sum ${a + b}`);\nresult(\"answer\", a + b);\n"},
  {"cell_type": "code", "execution_count": null, "id": "c3", "metadata": {}, "outputs": [],
   "source": []}
 ],
 "metadata": {
  "kernelspec": {"display_name": "ganbook (Rhai)", "language": "rhai", "name": "ganbook"},
  "language_info": {"file_extension": ".rhai", "name": "rhai"}
 },
 "nbformat": 4,
 "nbformat_minor": 5
}
"###;

#[test]
fn ganbook_runs_a_hand_written_notebooks_code_cells() {
    let d = temp_dir("ipynb-hand");
    let file = d.join("hand.ipynb");
    std::fs::write(&file, HAND_WRITTEN).unwrap();
    let out = d.join("out");
    let (o, run) = run_file(&file, &out, &[]);
    assert_eq!(run["status"], "ok", "{}", text(&o.stderr));
    assert_eq!(run["results"]["answer"], 42);
    let stdout = text(&o.stdout);
    assert!(stdout.contains("sum 42"), "{stdout}");
    assert!(!stdout.contains("old output"), "{stdout}");
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));

    // its own notebook: the heading as the first cell's title, the leading markdown as the
    // header, the blank code cell left out
    let nb = read_notebook(&out);
    let sources: Vec<String> = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| joined(&c["source"]))
        .collect();
    assert_eq!(
        sources,
        [
            "# A hand-written notebook\n\nThis prose is *not* code: let = (",
            "## numbers",
            "let a = 20;\nlet b = 22;",
            "print(`sum ${a + b}`);\nresult(\"answer\", a + b);",
        ]
    );
    assert_eq!(
        joined(&code_cells(&nb)[1]["outputs"][0]["text"]),
        "sum 42\n"
    );

    // an nbformat 4.4 notebook (no cell ids) runs too; `ganbook check` reads notebooks
    let old = d.join("old.ipynb");
    std::fs::write(
        &old,
        r#"{"cells": [{"cell_type": "code", "execution_count": null, "metadata": {}, "outputs": [],
            "source": ["result(\"old\", 1 + 1);"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 4}"#,
    )
    .unwrap();
    let (o, run) = run_file(&old, &d.join("out-old"), &[]);
    assert_eq!(run["results"]["old"], 2, "{}", text(&o.stderr));
    let o = ganbook(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn a_runs_notebook_runs_again_with_the_same_results() {
    let (o, first, out) = run_script("ipynb-round", SCRIPT, &[]);
    assert_eq!(first["status"], "ok", "{}", text(&o.stderr));
    let again = out.parent().unwrap().join("again");
    let (o, second) = run_file(&out.join("notebook.ipynb"), &again, &[]);
    assert_eq!(second["status"], "ok", "{}", text(&o.stderr));
    assert!(first["results"]["mean"].is_f64());
    assert_eq!(first["results"], second["results"]);
    // the same cells, sources and outputs (the images are the same pictures)
    let (a, b) = (read_notebook(&out), read_notebook(&again));
    let strip = |nb: &Value| -> Vec<(Value, Value, Vec<Value>)> {
        nb["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let outs = c["outputs"].as_array().cloned().unwrap_or_default();
                (c["cell_type"].clone(), c["source"].clone(), outs)
            })
            .collect()
    };
    assert_eq!(strip(&a), strip(&b));
    for name in ["samples/x.png", "samples/y.png"] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap()
        );
    }
}

#[test]
fn a_corrupt_notebook_is_an_error_naming_the_file() {
    let d = temp_dir("ipynb-corrupt");
    let cases = [
        ("truncated.ipynb", "{\"cells\": [", "not a Jupyter notebook"),
        ("plain.ipynb", "{\"hello\": 1}", "not a Jupyter notebook"),
        (
            "badcell.ipynb",
            r#"{"cells": [{"cell_type": "code", "id": "x"}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"#,
            "not a Jupyter notebook",
        ),
        (
            "python.ipynb",
            r#"{"cells": [], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}"#,
            "python notebook",
        ),
        ("missing.ipynb", "", "cannot read notebook"),
    ];
    for (name, content, why) in cases {
        let file = d.join(name);
        if !content.is_empty() {
            std::fs::write(&file, content).unwrap();
        }
        for args in [
            vec![
                "run",
                file.to_str().unwrap(),
                "--out",
                d.join("out").to_str().unwrap(),
            ],
            vec!["check", file.to_str().unwrap()],
        ] {
            let o = ganbook(&args);
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{name}: {err}");
            assert!(
                err.contains(&file.display().to_string()) && err.contains(why),
                "{name}: {err}"
            );
            assert!(!err.contains("panicked"), "{name}: {err}");
        }
    }
    assert!(!d.join("out").exists(), "no run started");
}

#[test]
fn the_watcher_rewrites_the_notebook_after_each_rerun() {
    let d = temp_dir("ipynb-watch");
    let script: PathBuf = d.join("nb.rhai");
    let src = "// %% a\nlet a = 1;\nprint(`a ${a}`);\n// %% b\nprint(`b ${a + 1}`);\n";
    std::fs::write(&script, src).unwrap();
    let out = d.join("out");
    let mut w = common::child::Ganbook::watch(&script, &out);
    assert_eq!(w.wait_for("%% done"), "%% done: reused [] ran [1,2]");
    let outputs = |nb: &Value| -> Vec<String> {
        code_cells(nb)
            .iter()
            .map(|c| joined(&c["outputs"][0]["text"]))
            .collect()
    };
    assert_eq!(outputs(&read_notebook(&out)), ["a 1\n", "b 2\n"]);
    std::fs::write(&script, src.replace("a + 1", "a + 41")).unwrap();
    assert_eq!(w.wait_for("%% done"), "%% done: reused [1] ran [2]");
    let nb = read_notebook(&out);
    assert_eq!(outputs(&nb), ["a 1\n", "b 42\n"]);
    let code = code_cells(&nb);
    assert_eq!(code[0]["metadata"]["ganbook"]["status"], "reused");
    assert_eq!(code[1]["execution_count"], 2);
}
