//! Checkpoints: a folder `checkpoints/<name>/` with one burnpack file per model (parameter ids
//! included, so optimizer state finds its parameters again), one per optimizer, and
//! `checkpoint.json` with the step, plain values, model flags, learning rates and the RNG
//! state. The folder is written beside the old one and swapped in by renames.

use crate::err;
use crate::error::Result;
use crate::nn::Sequential;
use burn::store::{BurnpackStore, ModuleSnapshot};
use std::path::{Path, PathBuf};

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
    let mut store = BurnpackStore::from_file(path).auto_extension(false);
    let res = seq
        .load_from(&mut store)
        .map_err(|e| err!("cannot load {}: {e}", path.display()))?;
    if !res.errors.is_empty() || !res.missing.is_empty() || !res.unused.is_empty() {
        return Err(err!(
            "{} does not fit this model (is it the same architecture?): {res}",
            path.display()
        ));
    }
    Ok(())
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

/// Swaps a fully written temporary folder in for `dest`.
pub fn commit(tmp: &Path, dest: &Path) -> Result<()> {
    let old = dest.with_extension("old");
    let _ = std::fs::remove_dir_all(&old);
    if dest.exists() {
        std::fs::rename(dest, &old).map_err(|e| err!("cannot replace {}: {e}", dest.display()))?;
    }
    std::fs::rename(tmp, dest).map_err(|e| err!("cannot write {}: {e}", dest.display()))?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}
