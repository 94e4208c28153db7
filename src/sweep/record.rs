//! sweep.json: what a sweep is (script and its SHA-256, the grid, the `--set` values every
//! point shares) and one row per point (its folder, values, status); and what a point's own
//! run.json says about it.

use super::grid::Axis;
use crate::err;
use crate::error::Result;
use std::path::{Path, PathBuf};

/// The file in the sweep folder.
pub const FILE: &str = "sweep.json";

/// The whole of sweep.json.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SweepRecord {
    pub name: String,
    /// The script's absolute path.
    pub script: String,
    pub script_sha256: String,
    pub grid: Vec<Axis>,
    /// `--set NAME=VALUE` given to every point.
    pub fixed: Vec<String>,
    pub device: String,
    pub created: String,
    pub points: Vec<PointRow>,
    /// Job ids of the Slurm arrays submitted for this sweep, oldest first.
    #[serde(default)]
    pub slurm_jobs: Vec<String>,
}

/// One point of the grid.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct PointRow {
    /// Its run folder's name inside the sweep folder.
    pub name: String,
    /// One value per grid axis, in the grid's order.
    pub values: Vec<String>,
    /// pending, running, ok, error, nan, interrupted, crashed, killed.
    pub status: String,
    pub exit_code: Option<i32>,
    pub wall_time_s: Option<f64>,
    pub error: Option<String>,
}

impl SweepRecord {
    /// Reads `<dir>/sweep.json`.
    pub fn load(dir: &Path) -> Result<SweepRecord> {
        let path = dir.join(FILE);
        let text = std::fs::read_to_string(&path).map_err(|e| {
            err!(
                "cannot read {}: {e} (is {} a sweep folder?)",
                path.display(),
                dir.display()
            )
        })?;
        let rec: SweepRecord =
            serde_json::from_str(&text).map_err(|e| err!("{}: damaged: {e}", path.display()))?;
        if rec.grid.is_empty() {
            return Err(err!("{}: damaged: the grid is empty", path.display()));
        }
        if let Some(row) = rec.points.iter().find(|r| r.values.len() != rec.grid.len()) {
            return Err(err!(
                "{}: damaged: point {} has {} values for {} grid params",
                path.display(),
                row.name,
                row.values.len(),
                rec.grid.len()
            ));
        }
        Ok(rec)
    }

    /// Writes `<dir>/sweep.json` atomically.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self).map_err(|e| err!("sweep.json: {e}"))?;
        crate::files::write_atomic(&dir.join(FILE), text.as_bytes())
    }

    /// A point's `--set` arguments: the shared ones, then its grid values.
    pub fn sets(&self, row: &PointRow) -> Vec<String> {
        let own = self
            .grid
            .iter()
            .zip(&row.values)
            .map(|(a, v)| format!("{}={v}", a.name));
        self.fixed.iter().cloned().chain(own).collect()
    }

    /// The arguments of `ganbook` that run point `row` into `<sweep_dir>/<row.name>`.
    pub fn run_args(&self, sweep_dir: &Path, row: &PointRow, resume: bool) -> Vec<String> {
        let out = sweep_dir.join(&row.name);
        let mut args = vec![
            "run".to_string(),
            self.script.clone(),
            "--out".to_string(),
            out.display().to_string(),
            "--device".to_string(),
            self.device.clone(),
        ];
        for s in self.sets(row) {
            args.push("--set".into());
            args.push(s);
        }
        if resume {
            args.push("--resume".into());
        }
        args
    }
}

/// What a point's run.json says (missing fields are None).
#[derive(Clone, Debug, Default)]
pub struct RunInfo {
    pub status: String,
    pub error: Option<String>,
    pub wall_time_s: Option<f64>,
    pub started: Option<String>,
    pub results: serde_json::Map<String, serde_json::Value>,
}

/// Reads `<point_dir>/run.json`; None when there is none yet, an error when it is damaged.
pub fn run_info(point_dir: &Path) -> Result<Option<RunInfo>> {
    let path = point_dir.join("run.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(None);
    };
    let v: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| err!("{}: damaged: {e}", path.display()))?;
    let s = |k: &str| v.get(k).and_then(|x| x.as_str()).map(str::to_string);
    Ok(Some(RunInfo {
        status: s("status").unwrap_or_else(|| "unknown".into()),
        error: s("error"),
        wall_time_s: v.get("wall_time_s").and_then(|x| x.as_f64()),
        started: s("started"),
        results: v
            .get("results")
            .and_then(|r| r.as_object())
            .cloned()
            .unwrap_or_default(),
    }))
}

/// What to do with a point when a sweep is (re)started.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Todo {
    /// Its run.json says ok.
    Skip,
    /// Run it from the start (a new run files what a failed one left under previous/).
    Fresh,
    /// It was interrupted (or killed before writing run.json) and has a checkpoint "last".
    Resume,
}

/// Decides a point's [`Todo`] from its run folder.
pub fn todo(point_dir: &Path) -> Result<Todo> {
    let info = run_info(point_dir)?;
    if info.as_ref().is_some_and(|i| i.status == "ok") {
        return Ok(Todo::Skip);
    }
    let checkpoint = last_checkpoint(point_dir).join(crate::checkpoint::MANIFEST);
    let cut_short = info
        .as_ref()
        .is_none_or(|i| matches!(i.status.as_str(), "interrupted" | "crashed"));
    Ok(if cut_short && checkpoint.exists() {
        Todo::Resume
    } else {
        Todo::Fresh
    })
}

/// `<point_dir>/checkpoints/last`, the checkpoint `--resume` continues from.
pub fn last_checkpoint(point_dir: &Path) -> PathBuf {
    point_dir.join("checkpoints").join("last")
}
