//! `ganbook bench kernel`: the Jupyter kernel as a notebook user meets it, timed from
//! jupyter_client's side (benches/kernel.py): start to the first kernel_info reply, a `1+1`
//! cell's round trip (jupyter_client; nbclient: per cell of a 101-cell notebook), and a
//! DCGAN-32 training step per cell, against the same step run in
//! process as `ganbook run` runs it (half the in-process steps before the kernel's, half
//! after, so that the machine's noise hits both). Needs a Python with jupyter_client:
//! `GANBOOK_JUPYTER_PYTHON`, else the venv .ci/run makes at ~/.cache/ganbook-venv-jupyter.

use super::script_step::ScriptStep;
use super::{Settings, report};
use crate::err;
use crate::error::Result;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const DRIVER: &str = include_str!("../../benches/kernel.py");
const STEP_SCRIPT: &str = include_str!("../../benches/dcgan32.rhai");

fn python() -> Result<PathBuf> {
    let python = std::env::var_os("GANBOOK_JUPYTER_PYTHON")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| PathBuf::from(h).join(".cache/ganbook-venv-jupyter/bin/python"))
        })
        .filter(|p| p.exists())
        .ok_or_else(|| {
            err!(
                "bench kernel needs a Python with jupyter_client: set GANBOOK_JUPYTER_PYTHON \
                 (.ci/run makes ~/.cache/ganbook-venv-jupyter)"
            )
        })?;
    Ok(python)
}

/// Times `n` DCGAN-32 steps in this process, as `ganbook run` runs a script.
fn in_process(step: &mut ScriptStep, n: usize) -> Result<Vec<f64>> {
    let mut v = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        step.step()?;
        v.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(v)
}

fn numbers(report: &serde_json::Value, key: &str) -> Vec<f64> {
    report[key]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|x| x.as_f64())
        .collect()
}

pub fn run(s: &Settings) -> Result<()> {
    let python = python()?;
    let dir = std::env::temp_dir().join(format!("ganbook-bench-kernel-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe()?;
    let prefix = dir.join("prefix");
    let installed = Command::new(&exe)
        .args(["kernel", "install", "--prefix"])
        .arg(&prefix)
        .output()?;
    if !installed.status.success() {
        return Err(err!(
            "bench kernel: kernel install failed: {}",
            String::from_utf8_lossy(&installed.stderr)
        ));
    }
    let driver = dir.join("kernel.py");
    let script = dir.join("dcgan32.rhai");
    std::fs::write(&driver, DRIVER)?;
    std::fs::write(&script, STEP_SCRIPT)?;

    let mut step = ScriptStep::new("dcgan32", STEP_SCRIPT)?;
    in_process(&mut step, s.warmup)?;
    let mut here = in_process(&mut step, s.steps / 2)?;

    let out = Command::new(&python)
        .arg(&driver)
        .arg(&script)
        .arg(s.steps.to_string())
        .arg(s.warmup.to_string())
        .current_dir(&dir)
        .env("JUPYTER_PATH", prefix.join("share/jupyter"))
        .output()
        .map_err(|e| err!("bench kernel: cannot run {}: {e}", python.display()))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_default();
    let measured: serde_json::Value = serde_json::from_str(line).map_err(|_| {
        err!(
            "bench kernel: the driver failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    here.extend(in_process(&mut step, s.steps - s.steps / 2)?);
    let _ = std::fs::remove_dir_all(&dir);

    let mut start_ms: Vec<f64> = numbers(&measured, "start_s")
        .iter()
        .map(|x| x * 1000.0)
        .collect();
    report("kernel_start_to_info_reply", &mut start_ms, "");
    report(
        "kernel_cell_1_plus_1",
        &mut numbers(&measured, "round_trip_ms"),
        "",
    );
    report(
        "kernel_cell_1_plus_1_nbclient",
        &mut numbers(&measured, "nbclient_cell_ms"),
        "",
    );
    let run_ms = report("dcgan32_step_in_process", &mut here, "");
    let kernel_ms = report(
        "dcgan32_step_per_kernel_cell",
        &mut numbers(&measured, "step_ms"),
        "",
    );
    println!(
        "bench kernel ratio kernel_cell/in_process={:.3}",
        kernel_ms / run_ms
    );
    Ok(())
}
