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

/// The absolute path `path` names, with `..` and symbolic links resolved. Components are
/// followed one at a time while they exist (each resolved, so a link inside is followed);
/// past the first missing one nothing below exists, so `..` just drops the last name.
fn resolve(path: &Path) -> Result<PathBuf> {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map_err(|e| err!("cannot read the working folder: {e}"))?
            .join(path)
    };
    let mut out = PathBuf::new();
    let mut missing = false;
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c),
            Component::CurDir => {}
            Component::ParentDir if missing => {
                out.pop();
            }
            Component::ParentDir | Component::Normal(_) => {
                let next = out.join(c);
                // symlink_metadata: a dangling link exists (and canonicalize then fails)
                if !missing && next.symlink_metadata().is_ok() {
                    out = next.canonicalize().map_err(|e| {
                        err!(
                            "cannot resolve {} (a broken symbolic link?): {e}",
                            path.display()
                        )
                    })?;
                } else if c == Component::ParentDir {
                    out.pop();
                } else {
                    missing = true;
                    out.push(c);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("ganbook-sbx-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.canonicalize().unwrap()
    }

    #[test]
    fn files_to_be_created_are_checked_through_missing_folders() {
        let run = temp("run");
        let sb = Sandbox::new(&[], std::slice::from_ref(&run)).unwrap();
        assert!(sb.write(&run.join("a/b/c.npy")).is_ok());
        assert!(sb.write(&run.join("a/../c.npy")).is_ok());
        let e = sb.write(&run.join("a/b/../../../x.npy")).unwrap_err().0;
        assert!(
            e.contains("may not write") && e.contains("--allow-write"),
            "{e}"
        );
        assert!(
            sb.read(&run.join("new.npy")).is_ok(),
            "the run folder is readable"
        );
        assert!(sb.read(Path::new("/etc/hostname")).is_err());
    }

    #[test]
    fn permissive_allows_everything() {
        let sb = Sandbox::permissive();
        assert!(sb.is_permissive());
        assert!(sb.read(Path::new("/etc/hostname")).is_ok());
        assert!(sb.write(Path::new("/tmp/x")).is_ok());
    }
}
