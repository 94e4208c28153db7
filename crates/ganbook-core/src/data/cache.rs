//! The on-disk cache of decoded image folders.
//!
//! Entries live in `$GANBOOK_CACHE_DIR` if set, else `$XDG_CACHE_HOME/ganbook`, else
//! `~/.cache/ganbook`, else `outputs/.cache` (under the working directory), in a sub-folder
//! `image_folder/`. An entry's name is the SHA-256 of everything that decides its content
//! (folder, options, and every file's path, size and modification time), so a changed file
//! or option simply misses; entries are never edited, only written whole (atomically).
//! The format: 8-byte little-endian header length, a JSON header, then the u8 pixels.

use crate::err;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::io::Read;
use std::path::{Path, PathBuf};

/// What a cached folder holds besides its pixels.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Header {
    pub n: usize,
    pub shape: [usize; 3],
    pub labels: Option<Vec<usize>>,
    pub classes: Vec<String>,
    /// Files skipped as unreadable: the first few names with the reason, and the count.
    pub skipped: Vec<String>,
    pub skipped_count: usize,
}

/// The cache root every on-disk cache of ganbook lives under (see the module doc).
pub fn root() -> PathBuf {
    crate::files::cache_root()
}

/// The cache folder for image folders.
pub fn dir() -> PathBuf {
    root().join("image_folder")
}

/// The entry name for a key made of text parts.
pub fn key(parts: &[String]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p.as_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The pixels of a folder: decoded in memory, or a cache entry read image by image.
pub enum Pixels {
    Memory(Vec<u8>),
    /// The entry file and where its pixels start (reads go through the page cache, so a
    /// cached folder opens without reading its pixels up front).
    File(std::fs::File, u64),
}

impl Pixels {
    /// `len` bytes from `start`.
    pub fn read(&self, start: usize, len: usize) -> Result<Vec<u8>> {
        match self {
            Pixels::Memory(v) => Ok(v[start..start + len].to_vec()),
            Pixels::File(f, offset) => {
                let mut buf = vec![0u8; len];
                read_at(f, &mut buf, offset + start as u64)
                    .map_err(|e| err!("cannot read the image cache: {e}"))?;
                Ok(buf)
            }
        }
    }
}

#[cfg(unix)]
fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(f, buf, at)
}

#[cfg(not(unix))]
fn read_at(f: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut f = f;
    f.seek(SeekFrom::Start(at))?;
    f.read_exact(buf)
}

/// Opens an entry; None when absent or damaged (a damaged entry is a miss, not an error).
pub fn load(dir: Option<&Path>, key: &str) -> Option<(Header, Pixels)> {
    let d = dir.map_or_else(self::dir, Path::to_path_buf);
    let mut f = std::fs::File::open(d.join(format!("{key}.bin"))).ok()?;
    let mut len = [0u8; 8];
    f.read_exact(&mut len).ok()?;
    let len = u64::from_le_bytes(len) as usize;
    if len > 1 << 30 {
        return None;
    }
    let mut head = vec![0u8; len];
    f.read_exact(&mut head).ok()?;
    let header: Header = serde_json::from_slice(&head).ok()?;
    let size = header
        .shape
        .iter()
        .try_fold(header.n, |a, &d| a.checked_mul(d))?
        .checked_add(8 + len)?;
    let total = f.metadata().ok()?.len();
    (total == size as u64).then_some((header, Pixels::File(f, (8 + len) as u64)))
}

/// Writes an entry (best effort is not enough here: a failure is reported to the caller,
/// which may ignore it).
pub fn store(dir: Option<&Path>, key: &str, header: &Header, pixels: &[u8]) -> Result<()> {
    let d = dir.map_or_else(self::dir, Path::to_path_buf);
    std::fs::create_dir_all(&d).map_err(|e| err!("cannot create cache {}: {e}", d.display()))?;
    let head = serde_json::to_vec(header).map_err(|e| err!("cache header: {e}"))?;
    let mut bytes = Vec::with_capacity(8 + head.len() + pixels.len());
    bytes.extend((head.len() as u64).to_le_bytes());
    bytes.extend(head);
    bytes.extend(pixels);
    crate::files::write_atomic(&d.join(format!("{key}.bin")), &bytes)
}

/// A file's identity for the key: path, size, modification time.
pub fn stamp(path: &Path) -> String {
    match std::fs::metadata(path) {
        Ok(m) => {
            let t = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{}|{}|{t}", path.display(), m.len())
        }
        Err(_) => format!("{}|?", path.display()),
    }
}
