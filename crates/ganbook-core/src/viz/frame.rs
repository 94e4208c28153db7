//! What a 2-D GAN frame shows, chosen before drawing: a view fixed per series (so the
//! frames of a GIF do not zoom in and out), which generated points get arrows and how long
//! they are, the colour bar's range, and the title.

use super::scatter::Point;
use std::collections::HashMap;

/// At most this many arrows are drawn (more would hide the points).
pub const MAX_ARROWS: usize = 40;
/// Arrows are scaled so that a typical (90th percentile) one is this fraction of the view's
/// width, and none is longer than [`ARROW_MAX`].
const ARROW_TYPICAL: f64 = 0.06;
const ARROW_MAX: f64 = 0.1;

/// A picture's title: the one given, else "step N" for a frame of a series (a name whose
/// last part is "step", e.g. "plain/step", saved at step N), else the file's name ("final").
pub fn frame_title(given: Option<String>, name: &str, step: Option<i64>) -> String {
    let file = name.rsplit('/').next().unwrap_or(name);
    let file = file.strip_suffix(".png").unwrap_or(file);
    match (given, step) {
        (Some(t), _) => t,
        (None, Some(s)) if file == "step" => format!("step {s}"),
        _ => file.replace('_', " "),
    }
}

/// A square view around the real points: their extent on both axes with a 35% margin (at
/// least 0.1), so generated points that stray a little stay in sight.
pub fn fit_view(real: &[Point]) -> (f64, f64) {
    let all = real
        .iter()
        .flat_map(|&(x, y)| [x, y])
        .filter(|v| v.is_finite());
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return (-1.0, 1.0);
    }
    let margin = ((hi - lo) * 0.35).max(0.1);
    (lo - margin, hi + margin)
}

/// The view of each series of frames (by name, e.g. "plain/step"): fitted to the real points
/// of its first frame and kept, so every frame of a GIF has the same axes. It is fitted
/// again only when the real points no longer fit in it (the script changed its data).
#[derive(Default)]
pub struct Views(HashMap<String, (f64, f64)>);

impl Views {
    pub fn view(&mut self, series: &str, real: &[Point]) -> (f64, f64) {
        let inside = |(lo, hi): (f64, f64)| {
            real.iter()
                .all(|&(x, y)| (lo..=hi).contains(&x) && (lo..=hi).contains(&y))
        };
        match self.0.get(series) {
            Some(&v) if inside(v) => v,
            _ => {
                let v = fit_view(real);
                self.0.insert(series.to_string(), v);
                v
            }
        }
    }
}

/// Cells per side of the view for [`arrow_starts`]: one arrow per cell at most.
const ARROW_CELLS: f64 = 24.0;

/// Where arrows start: generated points inside the view, at most one per cell of a 24 x 24
/// lattice (a collapsed cluster gets a few arrows, not a smear) and at most [`MAX_ARROWS`].
pub fn arrow_starts(fake: &[Point], (lo, hi): (f64, f64)) -> Vec<Point> {
    let cell = (hi - lo) / ARROW_CELLS;
    let mut taken = std::collections::HashSet::new();
    fake.iter()
        .filter(|&&(x, y)| (lo..=hi).contains(&x) && (lo..=hi).contains(&y))
        .filter(|&&(x, y)| taken.insert((((x - lo) / cell) as i64, ((y - lo) / cell) as i64)))
        .take(MAX_ARROWS)
        .copied()
        .collect()
}

/// The colour bar's range for probabilities: centred on 0.5 (undecided) and just wide
/// enough for `values` (0.45..0.55 when D is nearly undecided, 0..1 when it is sure), so
/// that what D tells apart is visible; the bar's ticks say how far it goes.
pub fn probability_range(values: &[f64]) -> (f64, f64) {
    let r = values
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |a, v| a.max((v - 0.5).abs()));
    let nice = [0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5];
    let r = nice.into_iter().find(|&n| r <= n + 1e-12).unwrap_or(0.5);
    (0.5 - r, 0.5 + r)
}

/// Scales gradient arrows for drawing: a typical one becomes 6% of the view's width `span`,
/// none longer than 10%, and only the first [`MAX_ARROWS`] are kept.
pub fn scale_arrows(grads: &[(Point, Point)], span: f64) -> Vec<(Point, Point)> {
    let grads = &grads[..grads.len().min(MAX_ARROWS)];
    let mut lengths: Vec<f64> = grads
        .iter()
        .map(|(_, (dx, dy))| dx.hypot(*dy))
        .filter(|l| l.is_finite())
        .collect();
    lengths.sort_by(f64::total_cmp);
    let typical = lengths
        .get((lengths.len() * 9 / 10).min(lengths.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0);
    if typical <= 0.0 {
        return Vec::new();
    }
    let (scale, max) = (ARROW_TYPICAL * span / typical, ARROW_MAX * span);
    grads
        .iter()
        .filter(|(_, (dx, dy))| dx.is_finite() && dy.is_finite())
        .map(|&(p, (dx, dy))| {
            let len = dx.hypot(dy) * scale;
            let shrink = if len > max { max / len } else { 1.0 };
            (p, (dx * scale * shrink, dy * scale * shrink))
        })
        .collect()
}
