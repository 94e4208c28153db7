//! A new run starts in a clean run folder. What an earlier run left there is moved aside,
//! never deleted, into `previous/<when that run started>/` inside the folder, and the run
//! says so in one line. A folder that holds anything else than ganbook runs (e.g. `--out .`),
//! or that holds the script or the working folder, is refused: moving it aside would move the
//! user's own files. `--resume` keeps the folder as it is.

use crate::err;
use crate::error::Result;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The folder inside a run folder that keeps earlier runs.
pub const PREVIOUS: &str = "previous";

/// What ganbook writes into every run folder: a folder holding one of these, or a TensorBoard
/// events file (`events.out.tfevents.*`: every run writes one unless `--no-tensorboard`), is
/// a run folder.
const MARKS: &[&str] = &[
    "run.json",
    "metrics.jsonl",
    "index.html",
    "checkpoints",
    PREVIOUS,
];

/// Whether `dir` holds what a ganbook run writes.
fn is_run_folder(dir: &Path, entries: &[PathBuf]) -> bool {
    MARKS.iter().any(|m| dir.join(m).exists())
        || entries.iter().any(|p| {
            p.file_name()
                .is_some_and(|n| crate::tfevents::is_event_file(&n.to_string_lossy()))
        })
}

/// Creates `out_dir`, or empties it for a new run by moving its content into
/// `previous/<time>/`, which it returns. `chosen`: the user named the folder (`--out`), so
/// it may be a folder that is not a run folder; then it is refused unless empty.
pub fn prepare(out_dir: &Path, chosen: bool, script: &Path) -> Result<Option<PathBuf>> {
    let shown = out_dir.display();
    if !out_dir.exists() {
        std::fs::create_dir_all(out_dir)
            .map_err(|e| err!("cannot create the run folder {shown}: {e}"))?;
        return Ok(None);
    }
    let entries: Vec<PathBuf> = std::fs::read_dir(out_dir)
        .map_err(|e| err!("cannot use {shown} as the run folder: {e}"))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| err!("cannot read the run folder {shown}: {e}"))?;
    let old: Vec<&PathBuf> = entries
        .iter()
        .filter(|p| p.file_name() != Some(std::ffi::OsStr::new(PREVIOUS)))
        .collect();
    if old.is_empty() {
        return Ok(None);
    }
    let folder = canonical(out_dir);
    let cwd = canonical(Path::new("."));
    if canonical(script).starts_with(&folder) || cwd.starts_with(&folder) {
        return Err(err!(
            "--out {shown}: the folder holds the script or the working folder; a run needs a folder of its own (its earlier content is moved aside), e.g. --out {}",
            out_dir.join("run").display()
        ));
    }
    if chosen && !is_run_folder(out_dir, &entries) {
        return Err(err!(
            "--out {shown}: the folder is not empty and holds no ganbook run (no run.json, metrics.jsonl or index.html); give a new or empty folder"
        ));
    }
    let dest = free_name(&out_dir.join(PREVIOUS), &started(out_dir));
    std::fs::create_dir_all(&dest).map_err(|e| err!("cannot create {}: {e}", dest.display()))?;
    for p in old {
        let to = dest.join(p.file_name().unwrap_or_default());
        std::fs::rename(p, &to).map_err(|e| {
            err!(
                "cannot move {} aside to {}: {e} (what was moved is in {})",
                p.display(),
                to.display(),
                dest.display()
            )
        })?;
    }
    Ok(Some(dest))
}

/// The line a run prints after [`prepare`] moved the previous run to `dest`.
pub fn moved_note(dest: &Path) -> String {
    let kept = dest
        .parent()
        .and_then(|p| std::fs::read_dir(p).ok())
        .map_or(1, |d| d.count());
    let mut line = format!("moved the previous run to {}", dest.display());
    if kept > 1 {
        line += &format!(
            " ({kept} earlier runs are kept in {}; delete those you no longer need)",
            dest.parent().unwrap_or(dest).display()
        );
    }
    line
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

/// When the run in `out_dir` started (from its run.json; else now), as a file name:
/// `2026-12-02T09-40-00`.
fn started(out_dir: &Path) -> String {
    let recorded = std::fs::read_to_string(out_dir.join("run.json"))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|j| j["started"].as_str().map(str::to_string));
    let time = recorded
        .unwrap_or_else(|| humantime::format_rfc3339_seconds(SystemTime::now()).to_string());
    time.trim_end_matches('Z')
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `dir/name`, or `dir/name-2`, `dir/name-3`, ... when that is taken.
fn free_name(dir: &Path, name: &str) -> PathBuf {
    let mut candidate = dir.join(name);
    let mut k = 2;
    while candidate.exists() {
        candidate = dir.join(format!("{name}-{k}"));
        k += 1;
    }
    candidate
}
