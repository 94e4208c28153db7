//! What a run keeps while it runs: the `--set` values and the params the script read, its
//! results, seed and step, the metrics logbook, the TensorBoard events file, the NaN/Inf
//! record and the resume bookkeeping; run.json is written from here (record.rs). One [`RunState`] per run, shared
//! (behind an `Arc`) by the session that opened it and the script functions that fill it.
//! Nothing here knows the scripting language.

pub mod controls;
pub mod events;
pub mod logbook;
pub mod nan;
pub mod record;
pub mod resume;

use crate::sandbox::Sandbox;
use logbook::{Logbook, Row};
use nan::NanRecord;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// One run's state. The fixed parts are plain fields; what changes while the script runs
/// sits behind one lock, taken by each method for as long as it needs it.
#[derive(Default)]
pub struct RunState {
    /// `--set name=value`, as typed.
    params: BTreeMap<String, String>,
    /// Where the run writes its files.
    out_dir: PathBuf,
    /// Which files the script may read and write (permissive unless a session limits it).
    sandbox: Sandbox,
    /// Set by Ctrl-C (or a save while watching); the engine stops at its next step.
    interrupt: Arc<AtomicBool>,
    /// The live page's knobs, gates and drawings (inert without `--live`).
    controls: controls::Controls,
    changing: Mutex<Changing>,
}

#[derive(Default)]
struct Changing {
    /// Parameters the script read with `param(...)`, with the value it got.
    used_params: BTreeMap<String, serde_json::Value>,
    /// `result(name, value)` calls, in order (a repeated name keeps its last value).
    results: Vec<(String, serde_json::Value)>,
    /// The seed in force (the last `seed(n)` or `--seed`).
    seed: Option<u64>,
    /// The step of the last `log(step, ...)` (or of a loaded checkpoint).
    step: Option<i64>,
    log: Logbook,
    /// The TensorBoard events file (None: not opened, `--no-tensorboard`, or failed).
    events: Option<events::Events>,
    nan: NanRecord,
    /// `--stop-on-nan`: the first NaN/Inf loss or logged value stops the run.
    stop_on_nan: bool,
    /// `--resume`: the step of the checkpoint the run continues from.
    resume: Option<i64>,
    /// Whether the script called `resume(...)`.
    resumed: bool,
}

impl RunState {
    /// A state writing into `out_dir` whose script may read and write anything.
    pub fn new(params: BTreeMap<String, String>, out_dir: PathBuf) -> Arc<RunState> {
        RunState::with_sandbox(params, out_dir, Sandbox::permissive())
    }

    /// A state whose script's file access is limited by `sandbox`.
    pub fn with_sandbox(
        params: BTreeMap<String, String>,
        out_dir: PathBuf,
        sandbox: Sandbox,
    ) -> Arc<RunState> {
        let changing = Changing {
            log: Logbook::new(&out_dir),
            ..Default::default()
        };
        Arc::new(RunState {
            params,
            out_dir,
            sandbox,
            changing: Mutex::new(changing),
            ..Default::default()
        })
    }

    /// The changing part; a panic elsewhere never locks the run out of its own state.
    fn changing(&self) -> MutexGuard<'_, Changing> {
        self.changing.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn params(&self) -> &BTreeMap<String, String> {
        &self.params
    }

    pub fn out_dir(&self) -> &Path {
        &self.out_dir
    }

    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The flag Ctrl-C sets (for a signal handler or a file watcher).
    pub fn interrupt_flag(&self) -> Arc<AtomicBool> {
        self.interrupt.clone()
    }

    pub fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::Relaxed)
    }

    pub fn controls(&self) -> &controls::Controls {
        &self.controls
    }

    /// Rows of the log from index `from` on, and how many rows it holds.
    pub fn log_rows_from(&self, from: usize) -> (Vec<Row>, usize) {
        self.with_log(|l| {
            (
                l.rows.get(from..).unwrap_or_default().to_vec(),
                l.rows.len(),
            )
        })
    }

    pub fn clear_interrupt(&self) {
        self.interrupt.store(false, Ordering::Relaxed);
    }

    /// Notes that the script read param `name` and got `value` (Null: refused).
    pub fn note_param(&self, name: &str, value: serde_json::Value) {
        self.changing().used_params.insert(name.to_string(), value);
    }

    /// The value the script got for param `name`, if it read it.
    pub fn used_param(&self, name: &str) -> Option<serde_json::Value> {
        self.changing().used_params.get(name).cloned()
    }

    /// `--set` names the script never read with `param`.
    pub fn unread_sets(&self) -> Vec<String> {
        let c = self.changing();
        let read = |k: &&String| c.used_params.contains_key(*k);
        self.params.keys().filter(|k| !read(k)).cloned().collect()
    }

    pub fn record_result(&self, name: &str, value: serde_json::Value) {
        let results = &mut self.changing().results;
        match results.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => results.push((name.to_string(), value)),
        }
    }

    /// The results so far, in the order first recorded.
    pub fn results(&self) -> Vec<(String, serde_json::Value)> {
        self.changing().results.clone()
    }

    pub fn seed(&self) -> Option<u64> {
        self.changing().seed
    }

    /// Seeds every generator (ganbook's and the devices') and records the seed for run.json.
    pub fn set_seed(&self, seed: u64) {
        crate::rng::seed(seed);
        self.changing().seed = Some(seed);
    }

    pub fn step(&self) -> Option<i64> {
        self.changing().step
    }

    pub fn set_step(&self, step: Option<i64>) {
        self.changing().step = step;
    }

    /// Records one `log` row: in the TensorBoard events file when one is open, then in the
    /// logbook (metrics files, status line). `total`: the run's steps, for the progress bar,
    /// taken from the first row that knows it.
    pub fn log_row(&self, row: Row, total: Option<i64>) -> crate::error::Result<()> {
        let mut c = self.changing();
        self.log_events(&mut c, &row);
        if c.log.total.is_none() {
            c.log.total = total;
        }
        c.log.record(row)
    }

    /// Runs `f` on the metrics logbook. `f` must not call back into this state.
    pub fn with_log<R>(&self, f: impl FnOnce(&mut Logbook) -> R) -> R {
        f(&mut self.changing().log)
    }

    /// Turns the terminal status line off (tests, the REPL, `run --watch`).
    pub fn set_quiet(&self) {
        self.changing().log.quiet = true;
    }

    /// What a script's `print` does: a line on stdout, below the status line if one is open.
    pub fn print_line(&self, text: &str) {
        self.with_log(|l| l.break_status_line());
        println!("{text}");
    }

    /// Ends the status line with the newest values (a notebook cell's end).
    pub fn end_status_line(&self) {
        self.with_log(|l| l.end_status_line());
    }

    /// Rewrites the status line in place with `\r` (a Jupyter cell's output renders it).
    pub fn set_status_in_place(&self) {
        self.changing().log.in_place = true;
    }

    /// The step and the logged rows and columns, as a notebook cell's snapshot keeps them.
    pub fn log_snapshot(&self) -> (Option<i64>, Vec<Row>, Vec<String>) {
        let c = self.changing();
        (c.step, c.log.rows.clone(), c.log.keys.clone())
    }

    /// Puts a snapshot's step and rows back (a notebook re-running from a cell).
    pub fn restore_log(&self, step: Option<i64>, rows: Vec<Row>, keys: Vec<String>) {
        let mut c = self.changing();
        c.step = step;
        c.log.restore_rows(rows, keys);
    }

    pub fn set_stop_on_nan(&self, stop: bool) {
        self.changing().stop_on_nan = stop;
    }

    /// Whether a non-finite value stopped the run.
    pub fn stopped_on_nan(&self) -> bool {
        self.changing().nan.stopped
    }

    /// The checkpoint step a `--resume` run continues from (None: not resuming).
    pub fn resume_step(&self) -> Option<i64> {
        self.changing().resume
    }

    /// Notes that the script called `resume(...)`.
    pub fn mark_resumed(&self) {
        self.changing().resumed = true;
    }

    /// Whether the script called `resume(...)`.
    pub fn resumed(&self) -> bool {
        self.changing().resumed
    }

    /// The run folder's path for `name` (relative to it), with `ext` added and the current
    /// step appended when the name's last part is `step` (`samples/step` ->
    /// `samples/step_000300.png`); a name without a folder goes into `default_dir`.
    pub fn output_path(
        &self,
        name: &str,
        default_dir: &str,
        ext: &str,
    ) -> crate::error::Result<PathBuf> {
        logbook::output_path(&self.out_dir, name, default_dir, ext, self.step())
    }
}
