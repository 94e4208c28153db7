//! NaN and Inf watch: a non-finite loss given to `opt.step` or value given to `log` is
//! warned about (with the step and its name), recorded for run.json (`warnings`,
//! `nan_steps`) and, with `--stop-on-nan` or `log(..., #{stop_on_nan: true})`, stops the run
//! with status `nan`.

use super::RunState;
use crate::bail;
use crate::error::Result;

/// At most this many warnings are printed; run.json keeps up to [`KEPT`].
const PRINTED: usize = 10;
const KEPT: usize = 1000;

#[derive(Default)]
pub struct NanRecord {
    /// The warning texts, oldest first (at most [`KEPT`]).
    pub warnings: Vec<String>,
    /// How many non-finite values were seen in all.
    pub count: usize,
    /// The steps at which they were seen, ascending, each once (None: before any `log`).
    pub steps: std::collections::BTreeSet<i64>,
    /// The run was stopped by a non-finite value.
    pub stopped: bool,
}

impl RunState {
    /// Ok when `value` is finite; otherwise warns and records it, and fails (stopping the
    /// run) when `stop` or the run's `--stop-on-nan` says so. `what` names the value.
    pub fn check_finite(&self, what: &str, value: f64, stop: bool) -> Result<()> {
        if value.is_finite() {
            return Ok(());
        }
        let mut c = self.changing();
        let step = c.step;
        let at = match step {
            Some(s) => format!("at step {s}"),
            None => "before the first log".to_string(),
        };
        let msg = format!("{what} is {value} {at}");
        let stop = stop || c.stop_on_nan;
        let rec = &mut c.nan;
        rec.count += 1;
        if rec.count <= PRINTED {
            eprintln!("warning: {msg}");
            if rec.count == PRINTED && !stop {
                eprintln!(
                    "warning: further NaN/Inf warnings are only counted (run.json: nan_count)"
                );
            }
        }
        if rec.warnings.len() < KEPT {
            rec.warnings.push(msg.clone());
        }
        if let Some(s) = step {
            rec.steps.insert(s);
        }
        if stop {
            rec.stopped = true;
            bail!(
                "stopped: {msg} (stop_on_nan); the checkpoints saved so far are kept as they were"
            );
        }
        Ok(())
    }
}
