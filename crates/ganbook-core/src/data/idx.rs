//! IDX files (the MNIST format), gzipped or not: big-endian, a magic of two zero bytes, a
//! type code and the rank, then the dimensions and the values.

use super::npy::Array;
use crate::error::Result;
use crate::sandbox::Sandbox;
use crate::{bail, err};
use flate2::read::GzDecoder;
use std::io::Read;
use std::path::Path;

pub fn read(path: &Path) -> Result<Array> {
    let raw = std::fs::read(path).map_err(|e| err!("idx: cannot read {}: {e}", path.display()))?;
    decode(&raw).map_err(|e| err!("idx: {}: {e}", path.display()))
}

/// The array in IDX bytes, gzipped or not. The unpacked size is bounded by `--max-memory`,
/// so a small file that inflates without end is an error, not an exhausted machine.
pub fn decode(raw: &[u8]) -> Result<Array> {
    if !raw.starts_with(&[0x1f, 0x8b]) {
        return parse(raw);
    }
    let limit = crate::memory_limit::limit();
    let mut out = Vec::new();
    GzDecoder::new(raw)
        .take(limit.saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| err!("bad gzip data: {e}"))?;
    if out.len() as u64 > limit {
        bail!("unpacks to more than the limit of {limit} bytes (--max-memory)");
    }
    parse(&out)
}

pub fn parse(b: &[u8]) -> Result<Array> {
    if b.len() < 4 || b[0] != 0 || b[1] != 0 {
        bail!("not an IDX file (bad magic)");
    }
    let (code, rank) = (b[2], b[3] as usize);
    let size = match code {
        0x08 | 0x09 => 1,
        0x0B => 2,
        0x0C | 0x0D => 4,
        0x0E => 8,
        c => bail!("unknown IDX type code 0x{c:02x}"),
    };
    let head = 4 + 4 * rank;
    if rank == 0 || b.len() < head {
        bail!("truncated header");
    }
    let shape: Vec<usize> = (0..rank)
        .map(|i| u32::from_be_bytes(b[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .collect();
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .unwrap_or(usize::MAX);
    let data = &b[head..];
    if n.checked_mul(size).is_none_or(|need| data.len() < need) {
        bail!(
            "truncated: shape {shape:?} needs more data than the file's {} bytes",
            data.len()
        );
    }
    crate::memory_limit::check(&shape)?;
    let values = data[..n * size]
        .chunks_exact(size)
        .map(|c| match code {
            0x08 => c[0] as f32,
            0x09 => c[0] as i8 as f32,
            0x0B => i16::from_be_bytes([c[0], c[1]]) as f32,
            0x0C => i32::from_be_bytes(c.try_into().unwrap()) as f32,
            0x0D => f32::from_be_bytes(c.try_into().unwrap()),
            _ => f64::from_be_bytes(c.try_into().unwrap()) as f32,
        })
        .collect();
    Ok(Array { shape, values })
}

/// IDX bytes of unsigned bytes with the given shape (for tests and tools).
pub fn encode_u8(shape: &[usize], values: &[u8]) -> Vec<u8> {
    let mut b = vec![0, 0, 0x08, shape.len() as u8];
    for d in shape {
        b.extend((*d as u32).to_be_bytes());
    }
    b.extend(values);
    b
}

/// MNIST-style images and labels from `path`: a folder holding `train-images-idx3-ubyte`
/// (or `t10k-...`, `.gz` or not) and its labels file, or an images file whose labels file is
/// found by replacing `images-idx3` with `labels-idx1` in its name. Labels are optional.
/// Both files are checked against `sandbox` (either may be a link out of the folder).
pub fn load_mnist(path: &Path, sandbox: &Sandbox) -> Result<(Array, Option<Array>)> {
    let images = if path.is_dir() {
        let names = [
            "train-images-idx3-ubyte",
            "train-images.idx3-ubyte",
            "t10k-images-idx3-ubyte",
            "t10k-images.idx3-ubyte",
        ];
        names
            .iter()
            .flat_map(|n| [path.join(n), path.join(format!("{n}.gz"))])
            .find(|p| p.is_file())
            .ok_or_else(|| {
                err!(
                    "mnist: no train-images-idx3-ubyte[.gz] or t10k-images-idx3-ubyte[.gz] in {}",
                    path.display()
                )
            })?
    } else {
        path.to_path_buf()
    };
    let a = read(&sandbox.read(&images)?)?;
    if a.shape.len() != 3 {
        bail!(
            "mnist: {} holds shape {:?}, expected images [n, h, w]",
            images.display(),
            a.shape
        );
    }
    let name = images
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let lname = name
        .replace("images-idx3", "labels-idx1")
        .replace("images.idx3", "labels.idx1");
    let plain = lname.strip_suffix(".gz").unwrap_or(&lname).to_string();
    let lpath = [plain.clone(), format!("{plain}.gz")]
        .into_iter()
        .map(|n| images.with_file_name(n))
        .find(|p| lname != name && p.is_file());
    let labels = match lpath {
        Some(lpath) => {
            let l = read(&sandbox.read(&lpath)?)?;
            if l.shape != [a.shape[0]] {
                bail!(
                    "mnist: {} holds shape {:?}, expected {} labels",
                    lpath.display(),
                    l.shape,
                    a.shape[0]
                );
            }
            Some(l)
        }
        None => None,
    };
    Ok((a, labels))
}
