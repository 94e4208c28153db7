//! `tfevents`: what the TensorBoard events file costs a run. Each timed repetition makes
//! 1,000 calls (images: 100); the `per_call_us` lines give the median repetition per call.
//!
//! - `tfevents_scalars`: the event writer alone, one event of 8 scalars per call.
//! - `tfevents_log` / `tfevents_log_off`: a script's `log(step, #{8 values})` as the run state
//!   does it (logbook, metrics files once a second, status line off), with the events file and
//!   without, alternating repetition by repetition; `added_us` is the difference per call.
//! - `tfevents_png` / `tfevents_image`: a DCGAN sample grid (64 random images of 3x32x32, as
//!   `grid` renders it: tiles scaled up to 64 pixels, 530x530) encoded as PNG, and the
//!   writer's image summary of those PNG bytes (`ratio`: the image summary's time over the
//!   encoding's).

use super::{Settings, report};
use crate::error::Result;
use crate::state::RunState;
use crate::state::logbook::Row;
use crate::tfevents::EventFile;
use crate::viz::grid::{GridOptions, render};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::time::Instant;

const CALLS: usize = 1000;
const IMAGE_CALLS: usize = 100;
const KEYS: [&str; 8] = [
    "d_loss",
    "g_loss",
    "d_real",
    "d_fake",
    "gp",
    "lr",
    "fid",
    "grad_norm",
];

fn row(step: i64) -> Row {
    let values = KEYS
        .iter()
        .enumerate()
        .map(|(i, k)| (k.to_string(), (step as f64 + i as f64) * 0.37))
        .collect();
    Row { step, values }
}

/// Milliseconds `f` takes for each of `settings.steps` repetitions, after the warm-up.
fn times(settings: &Settings, mut f: impl FnMut(usize) -> Result<()>) -> Result<Vec<f64>> {
    let mut v = Vec::new();
    for rep in 0..settings.warmup + settings.steps {
        let t = Instant::now();
        f(rep)?;
        if rep >= settings.warmup {
            v.push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    Ok(v)
}

pub fn run(settings: &Settings) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("ganbook-bench-tfevents-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let result = measure(settings, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    result
}

fn measure(settings: &Settings, dir: &std::path::Path) -> Result<()> {
    let per_call = |med: f64, calls: usize| med * 1e3 / calls as f64;

    // the writer alone
    let mut file = EventFile::create(dir)?;
    let mut step = 0i64;
    let mut v = times(settings, |_| {
        for _ in 0..CALLS {
            let r = row(step);
            file.scalars(step, r.values.iter().map(|(k, x)| (k.as_str(), *x)))?;
            step += 1;
        }
        Ok(())
    })?;
    let med = report("tfevents_scalars", &mut v, &format!(" calls={CALLS}"));
    println!(
        "bench tfevents_scalars per_call_us={:.2}",
        per_call(med, CALLS)
    );

    // a run's log, with and without the events file, alternating
    let states: Vec<_> = [("on", true), ("off", false)]
        .into_iter()
        .map(|(name, events)| {
            let state = RunState::new(BTreeMap::new(), dir.join(name));
            state.set_quiet();
            if events {
                state.open_events()?;
            }
            Ok(state)
        })
        .collect::<Result<_>>()?;
    let (mut on, mut off) = (Vec::new(), Vec::new());
    let mut steps = [0i64; 2];
    for rep in 0..settings.warmup + settings.steps {
        for (i, state) in states.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..CALLS {
                state.log_row(row(steps[i]), None)?;
                steps[i] += 1;
            }
            let ms = t.elapsed().as_secs_f64() * 1e3;
            if rep >= settings.warmup {
                [&mut on, &mut off][i].push(ms);
            }
        }
    }
    let on_med = report("tfevents_log", &mut on, &format!(" calls={CALLS}"));
    let off_med = report("tfevents_log_off", &mut off, &format!(" calls={CALLS}"));
    println!(
        "bench tfevents_log per_call_us={:.2} off_per_call_us={:.2} added_us={:.2} ratio={:.2}",
        per_call(on_med, CALLS),
        per_call(off_med, CALLS),
        per_call(on_med - off_med, CALLS),
        on_med / off_med
    );

    // one sample grid: PNG encoding, then the image summary of its bytes
    let mut r = ChaCha8Rng::seed_from_u64(1);
    let values: Vec<f32> = (0..64 * 3 * 32 * 32)
        .map(|_| r.random_range(-1.0f32..1.0))
        .collect();
    let grid = render(
        &crate::tensor::DynTensor::from_vec(values, &[64, 3, 32, 32])?,
        &GridOptions::default(),
    )?;
    let path = dir.join("grid.png");
    let mut png = Vec::new();
    let mut v = times(settings, |_| {
        for _ in 0..IMAGE_CALLS {
            png = crate::viz::encode_png(&grid, &path)?;
        }
        Ok(())
    })?;
    let png_med = report("tfevents_png", &mut v, &format!(" calls={IMAGE_CALLS}"));
    let mut v = times(settings, |rep| {
        for i in 0..IMAGE_CALLS {
            file.image(
                "samples/step",
                (rep * IMAGE_CALLS + i) as i64,
                grid.width(),
                grid.height(),
                &png,
            )?;
        }
        Ok(())
    })?;
    let image_med = report(
        "tfevents_image",
        &mut v,
        &format!(
            " calls={IMAGE_CALLS} png_kb={:.0}",
            png.len() as f64 / 1024.0
        ),
    );
    println!(
        "bench tfevents_image per_image_us={:.1} png_per_image_us={:.1} ratio={:.3} grid={}x{}",
        per_call(image_med, IMAGE_CALLS),
        per_call(png_med, IMAGE_CALLS),
        image_med / png_med,
        grid.width(),
        grid.height()
    );
    Ok(())
}
