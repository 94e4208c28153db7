//! Which files a script may read and write. `ganbook run` lets a script read under its own
//! folder, the working folder, its run folder and `--allow-read` folders, and write under its
//! run folder and `--allow-write` folders. A path is checked after resolving `..` and symbolic
//! links (for a file still to be created: its nearest existing parent), so neither escapes.
//! The REPL, the notebook and benchmarks use [`Sandbox::permissive`].

use crate::error::Result;
use crate::{bail, err};
use std::path::{Component, Path, PathBuf};

#[derive(Clone, Debug, Default)]
pub struct Sandbox {
    /// None: everything is allowed.
    roots: Option<Roots>,
}

#[derive(Clone, Debug)]
struct Roots {
    read: Vec<PathBuf>,
    write: Vec<PathBuf>,
}

#[derive(Clone, Copy, PartialEq)]
enum Access {
    Read,
    Write,
}

impl Sandbox {
    /// Every path allowed (REPL, notebook, benchmarks, tests of other things).
    pub fn permissive() -> Sandbox {
        Sandbox { roots: None }
    }

    /// Reads under `read` and `write` folders, writes under `write` folders. A folder that
    /// does not exist is created when it is a write folder, refused when it is a read folder.
    pub fn new(read: &[PathBuf], write: &[PathBuf]) -> Result<Sandbox> {
        let mut w = Vec::new();
        for d in write {
            std::fs::create_dir_all(d)
                .map_err(|e| err!("cannot create the writable folder {}: {e}", d.display()))?;
            w.push(canonical(d)?);
        }
        let mut r = w.clone();
        for d in read {
            r.push(canonical(d)?);
        }
        Ok(Sandbox {
            roots: Some(Roots { read: r, write: w }),
        })
    }

    pub fn is_permissive(&self) -> bool {
        self.roots.is_none()
    }

    /// `path` if a script may read it; otherwise an error naming it and `--allow-read`.
    pub fn read(&self, path: &Path) -> Result<PathBuf> {
        self.check(path, Access::Read)
    }

    /// `path` if a script may write it (it need not exist yet); otherwise an error naming it
    /// and `--allow-write`.
    pub fn write(&self, path: &Path) -> Result<PathBuf> {
        self.check(path, Access::Write)
    }

    fn check(&self, path: &Path, access: Access) -> Result<PathBuf> {
        let Some(roots) = &self.roots else {
            return Ok(path.to_path_buf());
        };
        let resolved = resolve(path)?;
        let allowed = match access {
            Access::Read => &roots.read,
            Access::Write => &roots.write,
        };
        if allowed.iter().any(|r| resolved.starts_with(r)) {
            return Ok(path.to_path_buf());
        }
        let (verb, flag, places) = match access {
            Access::Read => (
                "read",
                "--allow-read",
                "its own folder, the working folder, the run folder and --allow-read folders",
            ),
            Access::Write => (
                "write",
                "--allow-write",
                "the run folder and --allow-write folders",
            ),
        };
        let shown = path.display().to_string();
        let via = if resolved.as_os_str() != path.as_os_str() {
            format!(" (which resolves to {})", resolved.display())
        } else {
            String::new()
        };
        let dir = if access == Access::Read && resolved.is_file() || access == Access::Write {
            resolved.parent().unwrap_or(&resolved).to_path_buf()
        } else {
            resolved.clone()
        };
        bail!(
            "may not {verb} {shown}{via}: a script may {verb} only under {places}; to allow it, run with {flag} {}",
            dir.display()
        )
    }
}

fn canonical(d: &Path) -> Result<PathBuf> {
    d.canonicalize()
        .map_err(|e| err!("cannot use the folder {}: {e}", d.display()))
}

/// The absolute path `path` names, with `..` and symbolic links resolved; for a path that
/// does not exist yet, its nearest existing parent is resolved and the rest appended (the
/// rest may not contain `..`).
fn resolve(path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| err!("cannot read the working folder: {e}"))?
            .join(path)
    };
    let mut existing = abs.as_path();
    let mut rest = Vec::new();
    loop {
        // symlink_metadata: a dangling link counts as existing (canonicalize then fails)
        if existing.symlink_metadata().is_ok() {
            break;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => bail!("cannot resolve {}", path.display()),
        }
    }
    let mut out = existing.canonicalize().map_err(|e| {
        err!(
            "cannot resolve {} (a broken symbolic link?): {e}",
            path.display()
        )
    })?;
    for name in rest.into_iter().rev() {
        if Path::new(&name)
            .components()
            .any(|c| c == Component::ParentDir)
        {
            bail!(
                "cannot resolve {}: `..` after a missing folder",
                path.display()
            );
        }
        out.push(name);
    }
    Ok(out)
}
