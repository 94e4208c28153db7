//! A process that dies on a signal (a GPU driver's SIGSEGV, here imitated on a second thread
//! by `GANBOOK_CRASH_AT`) still ends with one clear line naming the device and the operation,
//! and a run.json with status "crashed"; the checkpoint saved before it is intact.

mod common;

use common::{run_json, temp_dir, text};
use std::process::Command;

#[test]
fn a_crash_names_the_device_and_the_operation_and_writes_run_json() {
    let d = temp_dir("crash");
    let script = d.join("c.rhai");
    std::fs::write(
        &script,
        "let G = sequential([linear(2, 8), relu(), linear(8, 1)]);\nlet o = adam(G);\n\
         save(#{G: G}, \"before\");\nlog(0, #{x: 1.0});\no.step(mse(G.forward(randn([4, 2])), 1.0));\nprint(\"not reached\");\n",
    )
    .unwrap();
    let out = d.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_ganbook"))
        .args(["run", script.to_str().unwrap(), "--out"])
        .arg(&out)
        .env("GANBOOK_CRASH_AT", "optimizer_update")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(4), "{err}");
    assert!(
        err.contains("ganbook crashed (SIGSEGV, an invalid memory access) on device 'cpu' during optimizer update"),
        "{err}"
    );
    assert!(!text(&o.stdout).contains("not reached"));
    let j = run_json(&out);
    assert_eq!(j["status"], "crashed", "{j}");
    assert_eq!(j["device"], "cpu");
    assert!(j["script"].as_str().unwrap().ends_with("c.rhai"), "{j}");
    assert!(
        j["error"]
            .as_str()
            .unwrap()
            .contains("during optimizer update"),
        "{j}"
    );
    assert!(out.join("checkpoints/before/checkpoint.json").is_file());
}
