//! The Jupyter kernel, as Jupyter's own clients meet it: `ganbook kernel install` writes a
//! kernelspec that jupyter_client finds; nbclient runs a notebook in it (state between cells,
//! images inline, results, errors with line and caret, `:` commands); jupyter_client sees the
//! progress bar rewrite itself, interrupts a loop with the kernel's state intact, gets
//! completions and help, and a client signing with the wrong key is refused while the kernel
//! serves on. tests/jupyter/drive.py does the driving and reports what it saw as JSON. The
//! kernels are shut down through the protocol, and killed by their PID should one survive.

mod common;

use base64::Engine as _;
use common::{ganbook, jupyter_python, run_script, temp_dir, text};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Installs the kernelspec under `dir/share/jupyter` and returns that Jupyter path.
fn install(dir: &Path) -> PathBuf {
    let o = ganbook(&["kernel", "install", "--prefix", dir.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    dir.join("share/jupyter")
}

/// Runs `drive.py MODE` in a fresh folder (the kernel's working folder); returns its report
/// and the folder.
fn drive(mode: &str) -> Option<(Value, PathBuf)> {
    drive_with(&[mode], &[])
}

/// [`drive`] with more arguments and environment variables (which the kernel inherits).
fn drive_with(args: &[&str], env: &[(&str, &str)]) -> Option<(Value, PathBuf)> {
    let mode = args[0];
    let python = jupyter_python()?;
    let dir = temp_dir(&format!("jupyter-{mode}"));
    let jupyter_path = install(&dir.join("prefix"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jupyter/drive.py");
    let o = Command::new(python)
        .arg(script)
        .args(args)
        .envs(env.iter().copied())
        .current_dir(&dir)
        .env("JUPYTER_PATH", jupyter_path)
        .env("JUPYTER_PLATFORM_DIRS", "1")
        .env_remove("JUPYTER_DATA_DIR")
        .output()
        .expect("python runs");
    let stdout = text(&o.stdout);
    let report = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap_or_else(|| panic!("drive.py {mode} failed:\n{stdout}\n{}", text(&o.stderr)));
    let report: Value = serde_json::from_str(report).unwrap();
    if let Some(pid) = report["pid"].as_i64() {
        let alive = Path::new(&format!("/proc/{pid}")).exists();
        if alive {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
        assert!(!alive, "the kernel (pid {pid}) outlived its shutdown");
    }
    Some((report, dir))
}

fn outputs_of<'a>(cell: &'a Value, kind: &str) -> Vec<&'a Value> {
    cell["outputs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["output_type"] == kind || o["type"] == kind)
        .collect()
}

/// A stream or text output as one string (nbformat may store a list of lines).
fn joined(v: &Value) -> String {
    match v {
        Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    }
}

fn stdout_of(cell: &Value) -> String {
    outputs_of(cell, "stream")
        .iter()
        .map(|o| joined(&o["text"]) + joined(&o["content"]["text"]).as_str())
        .collect()
}

#[test]
fn nbclient_runs_a_notebook_in_the_ganbook_kernel() {
    let Some((nb, dir)) = drive("notebook") else {
        return;
    };
    assert_eq!(nb["language"], "rhai");
    let cells = nb["cells"].as_array().unwrap();
    let counts: Vec<i64> = cells
        .iter()
        .map(|c| c["execution_count"].as_i64().unwrap())
        .collect();
    assert_eq!(counts, (1..=cells.len() as i64).collect::<Vec<_>>());
    assert_eq!(stdout_of(&cells[0]), "drawn\n");

    // the grid is shown under its cell, as a PNG; the trailing `;` hides the returned path
    let images = outputs_of(&cells[1], "display_data");
    assert_eq!(images.len(), 1, "{}", cells[1]);
    let png = base64::engine::general_purpose::STANDARD
        .decode(joined(&images[0]["data"]["image/png"]).replace('\n', ""))
        .unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(outputs_of(&cells[1], "execute_result").is_empty());

    let result =
        |i: usize| joined(&outputs_of(&cells[i], "execute_result")[0]["data"]["text/plain"]);
    assert_eq!(result(2), "[4, 1, 8, 8]");
    // a model's result is its summary: each layer's output shape and parameters
    assert!(result(3).contains("linear(4, 2)"), "{}", result(3));
    assert!(result(3).contains("[N, 2]"), "{}", result(3));

    // an error names the cell, line and column and points at it; the next cell runs
    let error = outputs_of(&cells[4], "error");
    assert_eq!(error.len(), 1);
    assert_eq!(error[0]["ename"], "ScriptError");
    let traceback = joined(&error[0]["traceback"]);
    assert!(traceback.contains("In [5]:2:5"), "{traceback}");
    assert!(traceback.contains("nope"), "{traceback}");
    assert!(traceback.contains('^'), "{traceback}");
    assert_eq!(stdout_of(&cells[5]), "still here: [4, 1, 8, 8]\n");

    let vars = stdout_of(&cells[6]);
    assert!(
        vars.contains("x ") && vars.contains("[4, 1, 8, 8]"),
        "{vars}"
    );
    assert!(vars.contains("model") && !vars.contains("y "), "{vars}");
    assert!(stdout_of(&cells[7]).contains("randn(shape) -> Tensor"));

    // the kernel's run folder: the image, run.json with its final status, and every cell
    let run = dir.join("outputs/kernel");
    assert!(run.join("samples/x.png").exists());
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(run.join("run.json")).unwrap()).unwrap();
    assert_eq!(record["status"], "finished", "{record}");
    let cells = std::fs::read_to_string(run.join("cells.rhai")).unwrap();
    assert!(cells.starts_with("// %% In [1]\nlet x = randn"), "{cells}");
    assert!(
        cells.contains("// %% In [5]\nlet y = x +\n    nope();\n"),
        "{cells}"
    );
    assert!(cells.contains("// %% In [7]\n// :vars\n"), "{cells}");
}

#[test]
fn a_session_keeps_state_through_interrupts_and_answers_completion_and_help() {
    let Some((s, _dir)) = drive("session") else {
        return;
    };
    assert_eq!(s["info"]["protocol_version"], "5.3");
    assert_eq!(s["info"]["language_info"]["name"], "rhai");

    // the progress bar is rewritten in place (`\r`, no terminal escapes) and ends at 60/60
    let progress = stdout_of(&s["progress"]);
    assert!(progress.starts_with('\r'), "{progress:?}");
    assert!(progress.contains("60/60"), "{progress:?}");
    assert!(!progress.contains('\x1b'), "{progress:?}");

    // the interrupt stops the endless loop between two steps; what was defined before stays
    assert_eq!(s["interrupt"]["reply"]["status"], "error");
    assert_eq!(s["interrupt"]["reply"]["ename"], "KeyboardInterrupt");
    let after = &s["after_interrupt"];
    assert_eq!(after["reply"]["status"], "ok");
    assert_eq!(
        joined(&outputs_of(after, "execute_result")[0]["content"]["data"]["text/plain"]),
        "10"
    );

    // Tab: names from the REPL's tables, methods by the variable's type; replaced span right
    let matches = |k: &str| -> Vec<String> {
        s[k]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect()
    };
    assert!(matches("complete").contains(&"randn".to_string()));
    assert_eq!(
        (&s["complete"]["cursor_start"], &s["complete"]["cursor_end"]),
        (&Value::from(8), &Value::from(11))
    );
    assert!(matches("complete_method").contains(&"mean".to_string()));
    assert!(
        matches("complete_method")
            .iter()
            .all(|m| m.starts_with("me"))
    );

    // Shift-Tab: `:help`'s text for a function, inside a call too, and a variable's value
    let help = |k: &str| joined(&s[k]["data"]["text/plain"]);
    assert!(help("inspect").contains("randn(shape) -> Tensor"));
    assert!(
        help("inspect_call").starts_with("grid("),
        "{}",
        help("inspect_call")
    );
    assert!(help("inspect_var").contains('5'));

    assert_eq!(s["incomplete"]["status"], "incomplete");
    assert_eq!(s["complete_code"]["status"], "complete");
    assert_eq!(s["invalid"]["status"], "invalid");
    let timed = stdout_of(&s["timed"]);
    assert!(
        timed.contains("Tensor[8, 8]") && timed.contains("ms"),
        "{timed}"
    );

    // what a loop prints starts its own line, below the progress line
    let printing = stdout_of(&s["printing"]);
    assert!(printing.contains("\nprinted 0\n"), "{printing:?}");
    // the cell's end shows the newest step, even one the throttle skipped
    let past = stdout_of(&s["past_total"]);
    assert!(past.contains("step 399 "), "{past:?}");
    assert!(past.ends_with('\n'), "{past:?}");

    // "Run All": a failed cell stops the cells queued after it; later cells run again
    let statuses: Vec<&str> = s["run_all"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "error", "aborted", "aborted"]);
    assert_eq!(s["after_abort"]["reply"]["status"], "error");
    assert_eq!(s["exited_after_shutdown"], true);
}

#[test]
fn a_message_signed_with_the_wrong_key_is_refused_and_the_kernel_serves_on() {
    let Some((s, _dir)) = drive("hmac") else {
        return;
    };
    assert_eq!(s["forged_answered"], false);
    assert_eq!(
        joined(&outputs_of(&s["after"], "execute_result")[0]["content"]["data"]["text/plain"]),
        "42"
    );
    // the forged cell never ran
    assert_eq!(s["stolen"]["reply"]["status"], "error");
    assert!(joined(&s["stolen"]["reply"]["evalue"]).contains("stolen"));
}

#[test]
fn a_panic_inside_an_operation_is_the_cells_error_and_the_kernel_lives() {
    let Some((s, _dir)) = drive_with(&["panic"], &[("GANBOOK_PANIC_AT", "optimizer_update")])
    else {
        return;
    };
    assert_eq!(s["setup"]["reply"]["status"], "ok");
    let step = &s["step"]["reply"];
    assert_eq!(step["status"], "error");
    let evalue = joined(&step["evalue"]);
    assert!(evalue.contains("In [2]:1:"), "{evalue}");
    assert!(
        evalue.contains("injected panic at optimizer_update"),
        "{evalue}"
    );
    let after = &s["after"];
    assert_eq!(after["reply"]["status"], "ok", "{after}");
    assert_eq!(
        joined(&outputs_of(after, "execute_result")[0]["content"]["data"]["text/plain"]),
        "12"
    );
}

#[test]
fn nbclient_reruns_a_runs_notebook_with_the_same_results() {
    if jupyter_python().is_none() {
        return;
    }
    let script = "// %% data\nseed(11);\nlet x = randn([64]);\n\
                  // %% figures\nresult(\"mean\", x.mean().item());\nresult(\"top\", x.max().item());\n";
    let (o, run, out) = run_script("jupyter-rerun-source", script, &[]);
    assert_eq!(run["status"], "ok", "{}", text(&o.stderr));
    let notebook = out.join("notebook.ipynb");
    let Some((nb, dir)) = drive_with(&["rerun", notebook.to_str().unwrap()], &[]) else {
        return;
    };
    let shown: String = nb["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(stdout_of)
        .collect();
    // the same figures, as the cells print them (serde_json reads floats to within an ulp)
    let printed = |name: &str| -> f64 {
        let line = shown
            .lines()
            .find_map(|l| l.strip_prefix(&format!("result {name} = ")));
        line.unwrap_or_else(|| panic!("no result {name} in {shown:?}"))
            .parse()
            .unwrap()
    };
    for name in ["mean", "top"] {
        let want = run["results"][name].as_f64().unwrap();
        assert!((printed(name) - want).abs() < 1e-12, "{name}: {shown:?}");
    }
    let again: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("outputs/kernel/run.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(again["results"], run["results"]);
}

#[test]
fn a_bad_connection_file_is_an_error_naming_it() {
    let dir = temp_dir("jupyter-bad-connection");
    let broken = dir.join("kernel-broken.json");
    std::fs::write(&broken, "{\"shell_port\": ").unwrap();
    let missing = dir.join("kernel-missing.json");
    for file in [&broken, &missing] {
        let o = ganbook(&["kernel", "-f", file.to_str().unwrap()]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(file.to_str().unwrap()), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn kernel_install_writes_a_kernelspec_with_logos() {
    let dir = temp_dir("jupyter-install");
    let spec = install(&dir).join("kernels/ganbook");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(spec.join("kernel.json")).unwrap()).unwrap();
    assert_eq!(json["display_name"], "ganbook (Rhai)");
    assert_eq!(json["language"], "rhai");
    assert_eq!(json["interrupt_mode"], "message");
    let argv: Vec<&str> = json["argv"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(Path::new(argv[0]).is_file(), "{argv:?}");
    assert_eq!(
        argv[1..],
        ["kernel", "--device", "cpu", "-f", "{connection_file}"]
    );
    // a device this build cannot open is refused now, not when Jupyter starts the kernel
    let o = ganbook(&[
        "kernel",
        "install",
        "--prefix",
        dir.to_str().unwrap(),
        "--device",
        "tpu",
    ]);
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("unknown device 'tpu'"),
        "{}",
        text(&o.stderr)
    );
    assert!(!dir.join("share/jupyter/kernels/ganbook-tpu").exists());
    for logo in ["logo-32x32.png", "logo-64x64.png"] {
        let png = image::open(spec.join(logo)).unwrap();
        let side = if logo.contains("32") { 32 } else { 64 };
        assert_eq!((png.width(), png.height()), (side, side));
    }
}
