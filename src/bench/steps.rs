//! Bench `steps`: full GAN training steps (D on real and detached fake, then G; Adam) for
//! the networks of benches/{dcgan32,dcgan64,cnn128,mlp2d,sngan32}.rhai, with peak memory. Given
//! `--torch PYTHON`, the same steps run in PyTorch (benches/torch_steps.py) in a child
//! process, alternating step by step with ganbook's, and each line gets the time ratio.
//! `--device` runs ganbook's side on a GPU (each step ends by reading the loss back, so the
//! GPU's queue is drained inside the timed step), `--torch-device cuda` PyTorch's, and
//! `--batch N` sets every network's batch size. Peak memory is the host's (VmHWM); GPU memory
//! is measured outside, by benches/gpu_check.sh (nvidia-smi).

use super::script_step::ScriptStep;
use super::{Settings, report};
use crate::error::Result;
use crate::{bail, err, rng};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Instant;

pub const NETWORKS: &[(&str, &str)] = &[
    ("dcgan32", include_str!("../../benches/dcgan32.rhai")),
    ("dcgan64", include_str!("../../benches/dcgan64.rhai")),
    ("cnn128", include_str!("../../benches/cnn128.rhai")),
    ("mlp2d", include_str!("../../benches/mlp2d.rhai")),
    ("sngan32", SNGAN32),
    ("sngan32_nosn", SNGAN32),
];

const SNGAN32: &str = include_str!("../../benches/sngan32.rhai");

/// The script parameters a network runs with besides the batch size.
fn network_params(name: &str) -> Vec<(String, String)> {
    match name {
        "sngan32_nosn" => vec![("sn".into(), "false".into())],
        _ => vec![],
    }
}

const TORCH_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/torch_steps.py");

/// This process's peak resident memory in MiB since the last [`reset_peak`].
pub fn peak_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Resets the peak-memory mark (Linux: writing 5 to /proc/self/clear_refs).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The PyTorch child: one step per request.
struct Torch {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Torch {
    fn start(python: &str, settings: &Settings) -> Result<Torch> {
        // flex runs on rayon's pool (RAYON_NUM_THREADS sets its size, default: all cores).
        let threads = rayon::current_num_threads();
        let mut child = Command::new(python)
            .arg(TORCH_SCRIPT)
            .arg("--serve")
            .env("GANBOOK_THREADS", threads.to_string())
            .env("GANBOOK_TORCH_DEVICE", &settings.torch_device)
            .env(
                "GANBOOK_TORCH_COMPILE",
                if settings.torch_compile { "1" } else { "0" },
            )
            .env(
                "GANBOOK_BATCH",
                settings.batch.map(|b| b.to_string()).unwrap_or_default(),
            )
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| err!("cannot start {python} {TORCH_SCRIPT}: {e}"))?;
        let stdin = child.stdin.take().unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut ready = String::new();
        stdout.read_line(&mut ready)?;
        if !ready.starts_with("ready") {
            return Err(err!(
                "{python} {TORCH_SCRIPT} did not start (is torch installed?)"
            ));
        }
        println!("# {} (ganbook uses {threads} threads)", ready.trim());
        Ok(Torch {
            child,
            stdin,
            stdout,
        })
    }

    /// One step of `name`: (milliseconds, peak MiB).
    fn step(&mut self, name: &str) -> Result<(f64, f64)> {
        writeln!(self.stdin, "{name}")?;
        self.stdin.flush()?;
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(k))
                .and_then(|v| v.parse::<f64>().ok())
                .ok_or_else(|| err!("unexpected answer from the torch bench: {line:?}"))
        };
        Ok((field("ms=")?, field("peak_mb=")?))
    }
}

impl Drop for Torch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn run(settings: &Settings) -> Result<()> {
    if let Some(unknown) = settings
        .only
        .iter()
        .find(|n| !NETWORKS.iter().any(|(name, _)| name == n))
    {
        let known: Vec<&str> = NETWORKS.iter().map(|(n, _)| *n).collect();
        bail!(
            "--only: unknown network '{unknown}'; there are: {}",
            known.join(", ")
        );
    }
    let mut torch = settings
        .torch
        .as_deref()
        .map(|python| Torch::start(python, settings))
        .transpose()?;
    let params: std::collections::BTreeMap<String, String> = settings
        .batch
        .map(|b| ("batch".to_string(), b.to_string()))
        .into_iter()
        .collect();
    println!("# ganbook on device {}", crate::device::current_name());
    let chosen = |name: &&str| settings.only.is_empty() || settings.only.iter().any(|o| o == name);
    for (name, source) in NETWORKS.iter().filter(|(name, _)| chosen(name)) {
        rng::seed(0);
        // the previous network's freed memory, still held for reuse, is not this one's peak
        crate::heap::release_freed_memory();
        reset_peak();
        let mut params = params.clone();
        params.extend(network_params(name));
        let mut step = ScriptStep::with_params(name, source, params)?;
        let (mut ours, mut theirs, mut torch_peak) = (Vec::new(), Vec::new(), f64::NAN);
        for i in 0..settings.warmup + settings.steps {
            let t = Instant::now();
            step.step()?;
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if let Some(torch) = torch.as_mut() {
                let (tms, tpeak) = torch.step(name)?;
                torch_peak = tpeak;
                if i >= settings.warmup {
                    theirs.push(tms);
                }
            }
            if i >= settings.warmup {
                ours.push(ms);
            }
        }
        let peak = peak_mb();
        let ganbook = report(name, &mut ours, &format!(" peak_mb={peak:.0}"));
        if torch.is_some() {
            let extra = format!(" peak_mb={torch_peak:.0}");
            let reference = report(&format!("{name}_torch"), &mut theirs, &extra);
            println!(
                "bench {name} ratio_time_vs_torch={:.2} ratio_peak_vs_torch={:.2}",
                ganbook / reference,
                peak / torch_peak
            );
        }
    }
    Ok(())
}
