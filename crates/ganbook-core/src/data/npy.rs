//! NumPy `.npy` files: read uint8, float32 and float64 arrays in C order (little or big
//! endian), write float32. `nhwc_to_nchw` converts image arrays saved channels-last.

use crate::error::Result;
use crate::{bail, err};
use std::path::Path;

/// An array: shape and row-major values.
#[derive(Clone, Debug, PartialEq)]
pub struct Array {
    pub shape: Vec<usize>,
    pub values: Vec<f32>,
}

/// The value of `'key': value` in a header dict, as text.
fn field<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let at = header.find(&format!("'{key}'"))? + key.len() + 2;
    let rest = header[at..].trim_start().strip_prefix(':')?.trim_start();
    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}'])?
    };
    Some(rest[..end].trim())
}

pub fn read(path: &Path) -> Result<Array> {
    let bytes =
        std::fs::read(path).map_err(|e| err!("npy: cannot read {}: {e}", path.display()))?;
    parse(&bytes).map_err(|e| err!("npy: {}: {e}", path.display()))
}

pub fn parse(b: &[u8]) -> Result<Array> {
    if b.len() < 10 || &b[..6] != b"\x93NUMPY" {
        bail!("not a .npy file (bad magic)");
    }
    let (hlen, start) = match b[6] {
        1 => (u16::from_le_bytes([b[8], b[9]]) as usize, 10),
        2 | 3 if b.len() >= 12 => (u32::from_le_bytes([b[8], b[9], b[10], b[11]]) as usize, 12),
        v => bail!("unsupported .npy version {v}"),
    };
    let header = b
        .get(start..start + hlen)
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| err!("truncated or unreadable header"))?;
    let descr = field(header, "descr").ok_or_else(|| err!("header has no descr"))?;
    let descr = descr.trim_matches(|c| c == '\'' || c == '"');
    if field(header, "fortran_order") == Some("True") {
        bail!("Fortran-order arrays are not supported; save with np.ascontiguousarray");
    }
    let shape_text = field(header, "shape").ok_or_else(|| err!("header has no shape"))?;
    let shape: Vec<usize> = shape_text
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().map_err(|_| err!("bad shape {shape_text}")))
        .collect::<Result<_>>()?;
    let data = &b[start + hlen..];
    let (size, big) = match descr {
        "|u1" | "<u1" | ">u1" | "u1" => (1, false),
        "<f4" => (4, false),
        ">f4" => (4, true),
        "<f8" => (8, false),
        ">f8" => (8, true),
        d => bail!("dtype '{d}' is not supported (uint8, float32, float64)"),
    };
    let n = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let need = n.and_then(|n| n.checked_mul(size));
    let Some((n, _)) = n.zip(need).filter(|&(_, need)| need <= data.len()) else {
        bail!(
            "truncated: shape {shape:?} needs {} bytes of data, the file has {}",
            need.map_or_else(|| "more".to_string(), |b| b.to_string()),
            data.len()
        );
    };
    crate::memory_limit::check(&shape)?;
    let values = match size {
        1 => data[..n].iter().map(|&v| v as f32).collect(),
        4 => data[..4 * n]
            .chunks_exact(4)
            .map(|c| {
                let a = [c[0], c[1], c[2], c[3]];
                if big {
                    f32::from_be_bytes(a)
                } else {
                    f32::from_le_bytes(a)
                }
            })
            .collect(),
        _ => data[..8 * n]
            .chunks_exact(8)
            .map(|c| {
                let a: [u8; 8] = c.try_into().unwrap();
                (if big {
                    f64::from_be_bytes(a)
                } else {
                    f64::from_le_bytes(a)
                }) as f32
            })
            .collect(),
    };
    Ok(Array { shape, values })
}

/// Writes float32 (little endian, C order), version 1.0.
pub fn write(path: &Path, a: &Array) -> Result<()> {
    let dims: Vec<String> = a.shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend((header.len() as u16).to_le_bytes());
    bytes.extend(header.as_bytes());
    for v in &a.values {
        bytes.extend(v.to_le_bytes());
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| err!("save_npy: cannot create {}: {e}", dir.display()))?;
    }
    crate::files::write_atomic(path, &bytes)
}

/// [N, H, W, C] -> [N, C, H, W] (a rank-3 [H, W, C] becomes [C, H, W]).
pub fn nhwc_to_nchw(a: &Array) -> Result<Array> {
    let (n, h, w, c) = match a.shape.as_slice() {
        &[n, h, w, c] => (n, h, w, c),
        &[h, w, c] => (1, h, w, c),
        s => bail!("layout nhwc needs an array of rank 3 or 4, got shape {s:?}"),
    };
    let mut v = vec![0.0; a.values.len()];
    for i in 0..n {
        for y in 0..h {
            for x in 0..w {
                for ch in 0..c {
                    v[((i * c + ch) * h + y) * w + x] = a.values[((i * h + y) * w + x) * c + ch];
                }
            }
        }
    }
    let shape = if a.shape.len() == 4 {
        vec![n, c, h, w]
    } else {
        vec![c, h, w]
    };
    Ok(Array { shape, values: v })
}
