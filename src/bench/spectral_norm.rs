//! `ganbook bench spectral_norm`: what spectral norm costs a training step: the DCGAN-32 step
//! of benches/dcgan32.rhai with D's four convolutions plain and under `spectral_norm`,
//! alternating. The extra time is sigma's matrix-vector products and the power iteration.

use super::script_step::ScriptStep;
use super::{Settings, median, report};
use crate::error::Result;
use std::collections::BTreeMap;
use std::time::Instant;

const SCRIPT: &str = include_str!("../../benches/dcgan32.rhai");

pub fn run(s: &Settings) -> Result<()> {
    let with = |sn: bool| {
        let params = BTreeMap::from([("sn".to_string(), sn.to_string())]);
        ScriptStep::with_params("dcgan32.rhai", SCRIPT, params)
    };
    let mut steps = [with(false)?, with(true)?];
    for _ in 0..s.warmup {
        for step in &mut steps {
            step.step()?;
        }
    }
    let mut times: [Vec<f64>; 2] = Default::default();
    for _ in 0..s.steps {
        for (k, step) in steps.iter_mut().enumerate() {
            let t = Instant::now();
            step.step()?;
            times[k].push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let plain = report("spectral_norm_dcgan32_plain", &mut times[0], "");
    let sn = median(&mut times[1]);
    let extra = format!(
        " ratio_vs_plain={:.3} share_of_step={:.3}",
        sn / plain,
        (sn - plain) / sn
    );
    report("spectral_norm_dcgan32_sn", &mut times[1], &extra);
    Ok(())
}
