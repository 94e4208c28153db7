//! What a running script shares with the command line: `--set` values, recorded results,
//! the run folder, and the Ctrl-C flag.

use rhai::Dynamic;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Default)]
pub struct Context {
    /// `--set name=value`, as typed.
    pub params: BTreeMap<String, String>,
    /// Parameters the script read with `param(...)`, with the value it got.
    pub used_params: Mutex<BTreeMap<String, serde_json::Value>>,
    /// `result(name, value)` calls, in order (a repeated name keeps its last value).
    pub results: Mutex<Vec<(String, serde_json::Value)>>,
    /// Where the run writes its files.
    pub out_dir: PathBuf,
    /// The seed in force (the last `seed(n)` or `--seed`).
    pub seed: Mutex<Option<u64>>,
    /// Set by Ctrl-C; the engine stops at its next step.
    pub interrupt: Arc<AtomicBool>,
    /// The step of the last `log(step, ...)` (or of a loaded checkpoint): names like
    /// `"samples/step"` get it appended.
    pub step: Mutex<Option<i64>>,
    /// metrics.jsonl / metrics.csv and the terminal status line.
    pub log: Mutex<crate::logbook::Logbook>,
    /// Which files the script may read and write (permissive unless set by `ganbook run`).
    pub sandbox: crate::sandbox::Sandbox,
    /// NaN/Inf losses and logged values seen: warnings for run.json, and their steps.
    pub nan: Mutex<crate::script::nan::NanRecord>,
    /// `--stop-on-nan`: the first NaN/Inf loss or logged value stops the run.
    pub stop_on_nan: AtomicBool,
    /// `--resume`: the step of the checkpoint the run continues from.
    pub resume: Mutex<Option<i64>>,
    /// Whether the script called `resume(...)`.
    pub resumed: AtomicBool,
}

impl Context {
    pub fn new(params: BTreeMap<String, String>, out_dir: PathBuf) -> Arc<Context> {
        Arc::new(Context {
            params,
            log: Mutex::new(crate::logbook::Logbook::new(&out_dir)),
            out_dir,
            ..Default::default()
        })
    }

    /// A context whose file access is limited by `sandbox`.
    pub fn with_sandbox(
        params: BTreeMap<String, String>,
        out_dir: PathBuf,
        sandbox: crate::sandbox::Sandbox,
    ) -> Arc<Context> {
        Arc::new(Context {
            params,
            log: Mutex::new(crate::logbook::Logbook::new(&out_dir)),
            out_dir,
            sandbox,
            ..Default::default()
        })
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
        crate::logbook::output_path(
            &self.out_dir,
            name,
            default_dir,
            ext,
            *self.step.lock().unwrap(),
        )
    }

    pub fn interrupted(&self) -> bool {
        self.interrupt.load(Ordering::Relaxed)
    }

    pub fn clear_interrupt(&self) {
        self.interrupt.store(false, Ordering::Relaxed);
    }

    pub fn record_result(&self, name: &str, value: serde_json::Value) {
        let mut results = self.results.lock().unwrap();
        match results.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => results.push((name.to_string(), value)),
        }
    }
}

/// A script value as JSON, for run.json.
pub fn to_json(value: &Dynamic) -> serde_json::Value {
    if let Some(i) = value.clone().try_cast::<rhai::INT>() {
        return i.into();
    }
    if let Some(f) = value.clone().try_cast::<rhai::FLOAT>() {
        return serde_json::Number::from_f64(f)
            .map(Into::into)
            .unwrap_or(serde_json::Value::Null);
    }
    if let Some(b) = value.clone().try_cast::<bool>() {
        return b.into();
    }
    if let Some(t) = value.clone().try_cast::<crate::tensor::DynTensor>() {
        if let Ok(v) = t.item() {
            return serde_json::Number::from_f64(v)
                .map(Into::into)
                .unwrap_or(serde_json::Value::Null);
        }
        return t
            .to_vec()
            .into_iter()
            .map(|x| serde_json::json!(x))
            .collect();
    }
    if value.is_array() {
        let arr = value.clone().cast::<rhai::Array>();
        return arr.iter().map(to_json).collect();
    }
    if value.is_map() {
        let map = value.clone().cast::<rhai::Map>();
        return map
            .iter()
            .map(|(k, v)| (k.to_string(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    value.to_string().into()
}
