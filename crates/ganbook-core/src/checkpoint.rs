//! Checkpoints: a folder `checkpoints/<name>/` with one burnpack file per model (parameter ids
//! included, so optimizer state finds its parameters again), one per optimizer, and
//! `checkpoint.json` with the step, plain values, model flags, learning rates and the RNG
//! state. The folder is written beside the old one and swapped in by renames.

use crate::err;
use crate::error::{Result, guard};
use crate::nn::Sequential;
use burn::store::{BurnpackStore, ModuleSnapshot};
use burn::tensor::Bytes;
use std::path::{Path, PathBuf};

/// The manifest's file name; it is written last, so a folder holding it is complete.
pub const MANIFEST: &str = "checkpoint.json";

/// The manifest, `checkpoint.json`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub ganbook_version: String,
    /// Entry name -> "model" | "optimizer" | "value".
    pub kinds: std::collections::BTreeMap<String, String>,
    pub values: serde_json::Map<String, serde_json::Value>,
    /// Per model: training and frozen flags.
    pub models: std::collections::BTreeMap<String, (bool, bool)>,
    /// Per optimizer: learning rate.
    pub lrs: std::collections::BTreeMap<String, f64>,
    pub rng: crate::rng::State,
    pub step: Option<i64>,
}

/// Writes a model's parameters (with their ids) to a burnpack file.
pub fn save_model(seq: &Sequential, path: &Path) -> Result<()> {
    let mut store = BurnpackStore::from_file(path)
        .auto_extension(false)
        .overwrite(true);
    seq.save_into(&mut store)
        .map_err(|e| err!("cannot write {}: {e}", path.display()))
}

/// Reads a model's parameters (and ids) back; the architecture must match.
pub fn load_model(seq: &mut Sequential, path: &Path) -> Result<()> {
    let bytes = std::fs::read(path).map_err(|e| err!("cannot load {}: {e}", path.display()))?;
    load_model_bytes(seq, bytes).map_err(|e| err!("{}: {e}", path.display()))
}

/// [`load_model`] from the bytes of a burnpack file. `seq` is changed only on success.
pub fn load_model_bytes(seq: &mut Sequential, bytes: Vec<u8>) -> Result<()> {
    let mut store = BurnpackStore::from_bytes(Some(Bytes::from_bytes_vec(bytes)));
    let mut loaded = seq.clone();
    let res = guard("", || {
        loaded
            .load_from(&mut store)
            .map_err(|e| err!("damaged or not a model file: {e}"))
    })?;
    if !res.errors.is_empty() || !res.missing.is_empty() || !res.unused.is_empty() {
        return Err(err!(
            "does not fit this model (is it the same architecture?): {res}"
        ));
    }
    *seq = loaded;
    Ok(())
}

/// The manifest from the bytes of `checkpoint.json`, its random generator state checked.
pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest> {
    let m: Manifest = serde_json::from_slice(bytes).map_err(|e| err!("damaged: {e}"))?;
    crate::rng::check(&m.rng).map_err(|e| err!("damaged: {e}"))?;
    Ok(m)
}

/// Reads `checkpoint.json` of the checkpoint folder `dir` (after [`recover`]ing it); the
/// errors name the file.
pub fn read_manifest(dir: &Path) -> Result<Manifest> {
    recover(dir);
    let path = dir.join(MANIFEST);
    let bytes = std::fs::read(&path).map_err(|e| err!("cannot read {}: {e}", path.display()))?;
    parse_manifest(&bytes).map_err(|e| err!("{} is {e}", path.display()))
}

/// The checkpoint folder for `name` under the run folder.
pub fn dir(out_dir: &Path, name: &str) -> Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') || name.contains("..")
    {
        return Err(err!(
            "checkpoint name '{name}' must be a plain name like \"last\" or \"step_1000\""
        ));
    }
    Ok(out_dir.join("checkpoints").join(name))
}

/// Swaps a fully written temporary folder in for `dest`: `dest` becomes `dest.old`, `tmp`
/// becomes `dest`, `dest.old` goes. A process killed between the two renames leaves no
/// `dest` but an intact `dest.old`, which [`recover`] puts back.
pub fn commit(tmp: &Path, dest: &Path) -> Result<()> {
    let old = dest.with_extension("old");
    recover(dest);
    let _ = std::fs::remove_dir_all(&old);
    if dest.exists() {
        std::fs::rename(dest, &old).map_err(|e| err!("cannot replace {}: {e}", dest.display()))?;
    }
    failpoint("checkpoint_swap");
    std::fs::rename(tmp, dest).map_err(|e| err!("cannot write {}: {e}", dest.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

/// Puts the last good checkpoint back where a write was cut off between [`commit`]'s two
/// renames: `dest` missing and `dest.old` complete (its manifest is written last).
pub fn recover(dest: &Path) {
    let old = dest.with_extension("old");
    if !dest.exists() && old.join(MANIFEST).is_file() {
        let _ = std::fs::rename(&old, dest);
    }
}

/// For the crash tests: with `GANBOOK_FAILPOINT=<stage>=<ms>` in the environment, pauses
/// `ms` milliseconds at `stage` ("checkpoint_write": the files written but not the manifest;
/// "checkpoint_swap": between [`commit`]'s renames), a window to kill the process in.
pub fn failpoint(stage: &str) {
    let Ok(spec) = std::env::var("GANBOOK_FAILPOINT") else {
        return;
    };
    if let Some(ms) = spec
        .split_once('=')
        .filter(|(s, _)| *s == stage)
        .and_then(|(_, ms)| ms.parse::<u64>().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}
