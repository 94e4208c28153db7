//! run.json: what a run did — script, params, seed, device, times, status, error, results —
//! written when a run ends (and by `run --watch` after every update and when it stops); with
//! `run --live`, also the knobs' values and the drawn points the page left.

use super::RunState;
use crate::device;
use crate::error::Result;
use sha2::{Digest, Sha256};
use std::time::{Instant, SystemTime};

/// When a run started, for its record.
pub struct Started {
    /// The script as typed on the command line.
    pub script: String,
    pub at: SystemTime,
    pub clock: Instant,
    /// `--resume`: the step of the checkpoint the run continued from.
    pub resumed_from: Option<i64>,
}

impl Started {
    pub fn now(script: String, resumed_from: Option<i64>) -> Started {
        Started {
            script,
            at: SystemTime::now(),
            clock: Instant::now(),
            resumed_from,
        }
    }

    /// The fields of run.json known when the run starts (for a crash's record: crash_guard).
    pub fn fixed_fields(&self) -> serde_json::Value {
        serde_json::json!({
            "script": self.script,
            "started": humantime::format_rfc3339_seconds(self.at).to_string(),
            "resumed_from": self.resumed_from,
        })
    }

    /// Writes run.json into the run folder: `source` is the script's text as it ran,
    /// `status` ok, error, interrupted, nan or stopped.
    pub fn write(
        &self,
        state: &RunState,
        source: &str,
        status: &str,
        error: Option<&str>,
    ) -> Result<()> {
        let c = state.changing();
        let nan = &c.nan;
        let mut record = self.fixed_fields();
        let rest = serde_json::json!({
            "script_sha256": hex(&Sha256::digest(source.as_bytes())),
            "params": { "set": state.params, "used": c.used_params },
            "seed": c.seed,
            "device": device::current_name(),
            "ended": humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            "wall_time_s": self.clock.elapsed().as_secs_f64(),
            "status": status,
            "error": error,
            "results": c.results.iter().cloned().collect::<serde_json::Map<_, _>>(),
            "ganbook_version": env!("CARGO_PKG_VERSION"),
            "versions": { "ganbook": env!("CARGO_PKG_VERSION"), "burn": "0.22.1", "rhai": "1.27", "rustc_min": env!("CARGO_PKG_RUST_VERSION") },
            "peak_memory_bytes": super::logbook::peak_memory_bytes(),
            "last_step": c.step,
            "warnings": nan.warnings.clone(),
            "nan_count": nan.count,
            "nan_steps": nan.steps.iter().collect::<Vec<_>>(),
        });
        if let (Some(all), serde_json::Value::Object(rest)) = (record.as_object_mut(), rest) {
            all.extend(rest);
            // what the live page set, so that a run driven by hand can be told and redone
            if state.controls.enabled() {
                all.insert("live".into(), state.controls.record());
            }
        }
        crate::files::write_atomic(
            &state.out_dir.join("run.json"),
            serde_json::to_string_pretty(&record)
                .unwrap_or_default()
                .as_bytes(),
        )
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
