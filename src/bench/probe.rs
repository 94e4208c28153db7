//! `probe`: training the built-in probes from scratch (what the first `probe("faces")` or
//! default-feature `fid` on a machine costs), with the held-out accuracy it reaches. One
//! training per probe, no cache; CPU seconds beside wall time (the machine is shared).

use super::{Settings, report};
use crate::error::Result;
use crate::metrics::probe::{Config, Kind, Probe};
use std::time::Instant;

/// CPU seconds of this process so far (user + system; Linux only, else 0).
fn cpu_seconds() -> f64 {
    let Ok(s) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let Some(rest) = s.rfind(')').map(|i| &s[i + 2..]) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split(' ').collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

pub fn run(_settings: &Settings) -> Result<()> {
    for kind in [Kind::Digits, Kind::Faces] {
        let (t, c) = (Instant::now(), cpu_seconds());
        let probe = Probe::train(&Config::new(kind))?;
        let mut ms = [t.elapsed().as_secs_f64() * 1e3];
        let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
        let mut extra = format!(" cpu_s={:.1}", cpu_seconds() - c);
        for s in &probe.heldout {
            extra += &format!(" heldout_{}={:.3}", s.style, mean(&s.accuracy));
        }
        if let Some(s) = probe.heldout.first().filter(|_| kind == Kind::Faces) {
            extra += &format!(" chance={:.3}", mean(&s.chance));
        }
        report(&format!("probe_{}", kind.name()), &mut ms, &extra);
    }
    Ok(())
}
