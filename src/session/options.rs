//! What opening a run from a script needs to know: the command line's options, and what
//! they decide (the run folder, the file policy).

use crate::err;
use crate::error::Result;
use crate::sandbox::Sandbox;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The options of `ganbook run` (and `run --watch`).
pub struct RunOptions {
    pub script: PathBuf,
    pub sets: Vec<String>,
    pub device: String,
    pub out: Option<PathBuf>,
    pub seed: Option<u64>,
    /// More folders the script may read (`--allow-read`).
    pub allow_read: Vec<PathBuf>,
    /// More folders the script may write (`--allow-write`).
    pub allow_write: Vec<PathBuf>,
    /// The largest tensor in bytes (`--max-memory`); None: half the RAM.
    pub max_memory: Option<u64>,
    /// Stop at the first NaN/Inf loss or logged value (`--stop-on-nan`).
    pub stop_on_nan: bool,
    /// Continue from the run folder's checkpoint "last" (`--resume`).
    pub resume: bool,
    /// Write a TensorBoard events file into the run folder (off: `--no-tensorboard`).
    pub tensorboard: bool,
}

impl RunOptions {
    /// Options for `script` with every default.
    pub fn new(script: impl Into<PathBuf>) -> RunOptions {
        RunOptions {
            script: script.into(),
            sets: Vec::new(),
            device: "cpu".into(),
            out: None,
            seed: None,
            allow_read: Vec::new(),
            allow_write: Vec::new(),
            max_memory: None,
            stop_on_nan: false,
            resume: false,
            tensorboard: true,
        }
    }

    /// The folder the script is in ("." for a bare file name).
    pub fn script_dir(&self) -> PathBuf {
        self.script
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }

    /// The run folder: `--out`, or `outputs/<script name>`.
    pub fn out_dir(&self) -> PathBuf {
        let stem = self
            .script
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("run");
        self.out
            .clone()
            .unwrap_or_else(|| Path::new("outputs").join(stem))
    }

    /// Before a run: refuses a `--set` name the script (`source`) has no `param` for, then
    /// makes the run folder ready — created, or emptied for a new run by moving the
    /// previous run aside (said in one line); `--resume` keeps it as it is.
    pub fn prepare(&self, source: &str, params: &BTreeMap<String, String>) -> Result<PathBuf> {
        let out_dir = self.out_dir();
        let mut readable = vec![self.script_dir(), PathBuf::from(".")];
        readable.extend(self.allow_read.iter().cloned());
        let sandbox = Sandbox::new(&readable, &[]).unwrap_or_else(|_| Sandbox::permissive());
        crate::script::set_check::check_script(source, params, &self.script_dir(), sandbox)?;
        if self.resume {
            std::fs::create_dir_all(&out_dir)
                .map_err(|e| err!("cannot create the run folder {}: {e}", out_dir.display()))?;
        } else if let Some(moved) =
            crate::session::run_folder::prepare(&out_dir, self.out.is_some(), &self.script)?
        {
            eprintln!("{}", crate::session::run_folder::moved_note(&moved));
        }
        Ok(out_dir)
    }

    /// The file policy of a run writing to `out_dir`: read the script's folder, the working
    /// folder and `--allow-read`; write `out_dir` and `--allow-write`.
    pub fn sandbox(&self, out_dir: &Path) -> Result<Sandbox> {
        let mut read = vec![self.script_dir(), PathBuf::from(".")];
        read.extend(self.allow_read.iter().cloned());
        for d in &self.allow_read {
            if !d.is_dir() {
                return Err(err!("--allow-read {}: not a folder", d.display()));
            }
        }
        let mut write = vec![out_dir.to_path_buf()];
        write.extend(self.allow_write.iter().cloned());
        Sandbox::new(&read, &write)
    }
}

/// `name=value` pairs from `--set`.
pub fn parse_sets(sets: &[String]) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for s in sets {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| err!("--set {s}: expected name=value, e.g. --set steps=50"))?;
        let k = k.trim();
        if k.is_empty() || !k.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return Err(err!("--set {s}: the name must be letters, digits and _"));
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

/// The script's text, or an error naming the file. A notebook (`.ipynb`) gives the script of
/// its code cells (see [`ipynb_script`](super::ipynb_script): error line numbers then refer to
/// that script).
pub fn read_script(path: &Path) -> Result<String> {
    if super::ipynb_script::is_notebook(path) {
        return super::ipynb_script::script_from_ipynb(path);
    }
    std::fs::read_to_string(path).map_err(|e| err!("cannot read script {}: {e}", path.display()))
}
