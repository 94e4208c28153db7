//! Writing files so that a crash or a reader never meets half of one: the ground floor that
//! checkpoints, caches, images and logs all write through.

use std::path::{Path, PathBuf};

use crate::err;
use crate::error::Result;

/// Writes a file via a temporary file and a rename, so a reader never sees half of it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes).map_err(|e| err!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| err!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// As [`write_atomic`], the content written by `fill` through a buffer (for content too
/// large to build in memory first).
pub fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<()> {
    let tmp = path.with_extension("tmp");
    let fail = |e: std::io::Error| err!("cannot write {}: {e}", tmp.display());
    let file = std::fs::File::create(&tmp).map_err(fail)?;
    let mut w = std::io::BufWriter::new(file);
    fill(&mut w).map_err(fail)?;
    w.into_inner().map_err(|e| fail(e.into_error()))?;
    std::fs::rename(&tmp, path).map_err(|e| err!("cannot write {}: {e}", path.display()))?;
    Ok(())
}

/// Creates the folder a file goes into.
pub fn ensure_parent(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| err!("cannot create {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// The cache root every on-disk cache of ganbook lives under (GANBOOK_CACHE_DIR, else
/// $XDG_CACHE_HOME/ganbook, else ~/.cache/ganbook): image folders, the probe, cubecl's kernels.
pub fn cache_root() -> PathBuf {
    if let Some(d) = std::env::var_os("GANBOOK_CACHE_DIR") {
        PathBuf::from(d)
    } else if let Some(d) = std::env::var_os("XDG_CACHE_HOME") {
        PathBuf::from(d).join("ganbook")
    } else if let Some(h) = std::env::var_os("HOME") {
        PathBuf::from(h).join(".cache").join("ganbook")
    } else {
        PathBuf::from("outputs").join(".cache")
    }
}
