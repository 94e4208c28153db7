//! The probe cache: one file per trained probe under `<cache root>/probe/` (the root of
//! [`crate::data::cache`]), named by the SHA-256 of everything that decides its weights.
//!
//! Format: `GBPROBE1`, 8-byte little-endian header length, a JSON [`Header`], the
//! parameters as little-endian f32 in build order, then the SHA-256 of all that. A file
//! that does not check out (truncated, damaged, another key) is a miss, never an error.
//! Files are written whole to a temporary name and renamed.

use crate::err;
use crate::error::Result;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"GBPROBE1";

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Header {
    /// The cache key the weights were trained for.
    pub key: String,
    /// Length of every stored parameter tensor, in build order.
    pub lengths: Vec<usize>,
    /// Held-out accuracy measured right after training.
    pub heldout: Vec<super::StyleScore>,
}

/// The probe cache folder under `root` (default: the data cache root).
pub fn dir(root: Option<&Path>) -> PathBuf {
    root.map_or_else(crate::data::cache::root, Path::to_path_buf)
        .join("probe")
}

/// The file of a probe: `<kind>-<key>.bin`.
pub fn path(root: Option<&Path>, kind: &str, key: &str) -> PathBuf {
    dir(root).join(format!("{kind}-{key}.bin"))
}

/// The stored header and parameters, or None when the file is absent or does not check out.
pub fn load(path: &Path, key: &str) -> Option<(Header, Vec<Vec<f32>>)> {
    let bytes = std::fs::read(path).ok()?;
    let body_len = bytes.len().checked_sub(32)?;
    let (body, sum) = bytes.split_at(body_len);
    if Sha256::digest(body).as_slice() != sum || body.len() < 16 || &body[..8] != MAGIC {
        return None;
    }
    let head_len = u64::from_le_bytes(body[8..16].try_into().ok()?) as usize;
    let head = body.get(16..16usize.checked_add(head_len)?)?;
    let header: Header = serde_json::from_slice(head).ok()?;
    if header.key != key {
        return None;
    }
    let mut floats = body[16 + head_len..]
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    if (body.len() - 16 - head_len) != 4 * header.lengths.iter().sum::<usize>() {
        return None;
    }
    let values = header
        .lengths
        .iter()
        .map(|&n| floats.by_ref().take(n).collect())
        .collect();
    Some((header, values))
}

/// Writes a probe file atomically.
pub fn store(path: &Path, header: &Header, values: &[Vec<f32>]) -> Result<()> {
    let d = path
        .parent()
        .ok_or_else(|| err!("probe cache path {} has no folder", path.display()))?;
    std::fs::create_dir_all(d).map_err(|e| err!("cannot create cache {}: {e}", d.display()))?;
    let head = serde_json::to_vec(header).map_err(|e| err!("probe cache header: {e}"))?;
    let mut bytes = Vec::with_capacity(48 + head.len() + 4 * header.lengths.iter().sum::<usize>());
    bytes.extend(MAGIC);
    bytes.extend((head.len() as u64).to_le_bytes());
    bytes.extend(head);
    for v in values {
        for x in v {
            bytes.extend(x.to_le_bytes());
        }
    }
    let sum = Sha256::digest(&bytes);
    bytes.extend(sum);
    // a temporary name of this process's own: two processes training at once do not clash
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, &bytes).map_err(|e| err!("cannot write {}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err!("cannot write {}: {e}", path.display())
    })
}
