//! The largest tensor a script may make: `--max-memory` (default half of the machine's RAM,
//! from /proc/meminfo). Tensor constructors check it, so `randn([100000, 100000, 100])` is a
//! script error instead of an allocation failure that aborts the process.

use crate::error::Result;
use crate::{bail, err};
use std::sync::atomic::{AtomicU64, Ordering};

/// 0: not set yet (the default is computed on first use).
static LIMIT: AtomicU64 = AtomicU64::new(0);

/// Sets the limit in bytes for this process.
pub fn set(bytes: u64) {
    LIMIT.store(bytes.max(1), Ordering::Relaxed);
}

/// The limit in bytes in force.
pub fn limit() -> u64 {
    match LIMIT.load(Ordering::Relaxed) {
        0 => {
            let d = default_limit();
            LIMIT.store(d, Ordering::Relaxed);
            d
        }
        n => n,
    }
}

/// Half of MemTotal from /proc/meminfo; 8 GiB where that cannot be read.
pub fn default_limit() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb * 1024 / 2)
        .unwrap_or(8 << 30)
}

/// Ok when a float32 tensor of `shape` fits under the limit.
pub fn check(shape: &[usize]) -> Result<()> {
    let bytes = shape
        .iter()
        .try_fold(4u64, |acc, &d| acc.checked_mul(d as u64));
    let limit = limit();
    match bytes {
        Some(b) if b <= limit => Ok(()),
        b => bail!(
            "a tensor of shape {shape:?} needs {} but the limit is {} (--max-memory; e.g. --max-memory 16G)",
            b.map(human)
                .unwrap_or_else(|| "more bytes than exist".into()),
            human(limit)
        ),
    }
}

/// Hands the allocator's free pages back to the system (glibc: `malloc_trim`), so a long run's
/// resident memory follows what it holds rather than its most fragmented moment: the log's
/// small rows, kept for the whole run among each step's freed tensors, otherwise pin pages.
/// Cheap (a walk over the free lists); called when the log is written, at most once a second.
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        unsafe extern "C" {
            fn malloc_trim(pad: usize) -> i32;
        }
        // SAFETY: malloc_trim only returns free memory to the system; it is thread-safe
        // and Rust's allocator on this target is glibc's malloc.
        unsafe { malloc_trim(0) };
    }
}

/// `1024`, `512M`, `16G`, `1.5G`, `2T` (binary units; a trailing `B`/`iB` is allowed).
pub fn parse(s: &str) -> Result<u64> {
    let t = s.trim().trim_end_matches(['B', 'b']).trim_end_matches('i');
    let (num, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        Some('T' | 't') => (&t[..t.len() - 1], 1 << 40),
        _ => (t, 1),
    };
    let x: f64 = num
        .trim()
        .parse()
        .map_err(|_| err!("--max-memory {s}: expected a size like 512M, 16G or 1073741824"))?;
    if x.is_nan() || x <= 0.0 {
        bail!("--max-memory {s}: must be more than 0");
    }
    Ok((x * mult as f64) as u64)
}

fn human(b: u64) -> String {
    let g = b as f64 / (1u64 << 30) as f64;
    if g >= 1.0 {
        format!("{g:.1} GiB")
    } else {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse("1024").unwrap(), 1024);
        assert_eq!(parse("512M").unwrap(), 512 << 20);
        assert_eq!(parse("16G").unwrap(), 16 << 30);
        assert_eq!(parse("1.5GiB").unwrap(), 3 << 29);
        assert!(parse("lots").is_err());
        assert!(parse("0").is_err());
        assert!(default_limit() > 0);
    }
}
