//! `ganbook run --resume`: continue a run from its checkpoint "last". The run folder must hold
//! one; the metrics logged up to its step are kept (later rows, from the part of the run after
//! the checkpoint, are dropped), and the script's `resume(#{G: G, ...})` restores the models,
//! optimizers, RNG and step and returns the step to continue from.

use super::RunState;
use super::logbook::Row;
use crate::checkpoint;
use crate::error::Result;
use crate::{bail, err};

/// The checkpoint a resumed run continues from.
pub const CHECKPOINT: &str = "last";

impl RunState {
    /// `--resume`: checks that the run folder can be resumed, puts back the metrics rows up
    /// to the checkpoint's step and returns that step (which `resume(...)` continues after).
    pub fn prepare_resume(&self) -> Result<i64> {
        let dir = checkpoint::dir(&self.out_dir, CHECKPOINT)?;
        checkpoint::recover(&dir);
        let manifest = dir.join(checkpoint::MANIFEST);
        if !manifest.exists() {
            bail!(
                "--resume: nothing to resume in {}: no checkpoint '{CHECKPOINT}' ({} is missing); the script must save(#{{...}}, \"{CHECKPOINT}\")",
                self.out_dir.display(),
                manifest.display()
            );
        }
        let m = checkpoint::read_manifest(&dir)?;
        let Some(step) = m.step else {
            bail!(
                "--resume: checkpoint '{CHECKPOINT}' has no step; save it with #{{..., step: step}}"
            );
        };
        let (rows, keys) = read_metrics(&self.out_dir.join("metrics.jsonl"), step)?;
        let mut c = self.changing();
        c.log.restore_rows(rows, keys);
        c.resume = Some(step);
        Ok(step)
    }
}

/// The rows of metrics.jsonl with a step up to `last` (none when the file is missing).
fn read_metrics(path: &std::path::Path, last: i64) -> Result<(Vec<Row>, Vec<String>)> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut rows = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let v: serde_json::Value = serde_json::from_str(line)
            .map_err(|e| err!("{}:{}: damaged: {e}", path.display(), i + 1))?;
        let obj = v
            .as_object()
            .ok_or_else(|| err!("{}:{}: not an object", path.display(), i + 1))?;
        let step = obj
            .get("step")
            .and_then(|s| s.as_i64())
            .ok_or_else(|| err!("{}:{}: no step", path.display(), i + 1))?;
        if step > last {
            continue;
        }
        let mut values = Vec::new();
        for (k, x) in obj.iter().filter(|(k, _)| *k != "step") {
            if !keys.contains(k) {
                keys.push(k.clone());
            }
            values.push((k.clone(), x.as_f64().unwrap_or(f64::NAN)));
        }
        rows.push(Row { step, values });
    }
    Ok((rows, keys))
}
