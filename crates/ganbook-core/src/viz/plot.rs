//! Line plots (loss curves, raw and smoothed, with a legend) and histograms, drawn with
//! plotters into an in-memory bitmap using the embedded font.

use super::axes::{all_whole, label_count, place_legend, tick_label};
use super::font::{self, FAMILY};
use crate::error::Result;
use crate::{bail, err};
use image::RgbImage;
use plotters::prelude::*;

pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 500;

/// Tableau's ten colours: distinct and readable on white.
const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

pub fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

#[derive(Clone, Debug, Default)]
pub struct PlotOptions {
    pub title: String,
    pub xlabel: String,
    pub ylabel: String,
    /// Log scale on y (values <= 0 are left out).
    pub logy: bool,
    /// Exponential moving average weight in [0, 1): each named series is drawn faint (raw)
    /// and solid (smoothed). None or 0: raw only.
    pub smooth: Option<f64>,
    /// A dot on each point of the solid line: None draws them on series of at most
    /// [`MARKERS_UP_TO`] points, where a line alone hides how few measurements there are.
    pub markers: Option<bool>,
}

/// Series with at most this many points get markers (unless told otherwise).
pub const MARKERS_UP_TO: usize = 30;

/// Whether a series of `n` points gets markers.
pub fn wants_markers(n: usize, choice: Option<bool>) -> bool {
    choice.unwrap_or(n <= MARKERS_UP_TO)
}

/// Debiased exponential moving average (TensorBoard's smoothing).
pub fn smooth(ys: &[f64], weight: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(ys.len());
    let (mut acc, mut norm) = (0.0, 0.0);
    for &y in ys {
        acc = weight * acc + (1.0 - weight) * y;
        norm = weight * norm + (1.0 - weight);
        out.push(acc / norm);
    }
    out
}

fn fail(e: impl std::fmt::Debug) -> crate::error::Error {
    err!("drawing failed: {e:?}")
}

/// A line plot of named series of (x, y) points.
pub fn lines(series: &[(String, Vec<(f64, f64)>)], opts: &PlotOptions) -> Result<RgbImage> {
    font::ensure();
    let transform = |y: f64| if opts.logy { y.log10() } else { y };
    let series: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(n, pts)| {
            let kept = pts
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite() && (!opts.logy || *y > 0.0))
                .map(|&(x, y)| (x, transform(y)))
                .collect();
            (n.clone(), kept)
        })
        .collect();
    let all: Vec<(f64, f64)> = series.iter().flat_map(|(_, p)| p.iter().copied()).collect();
    if all.is_empty() {
        bail!("nothing to plot: every series is empty (or not finite / not positive with logy)");
    }
    let (x0, x1) = bounds(all.iter().map(|p| p.0));
    let (y0, mut y1) = bounds(all.iter().map(|p| p.1));
    let x_whole = all_whole(all.iter().map(|p| p.0));
    let y_whole = !opts.logy && all_whole(all.iter().map(|p| p.1));
    let weight = opts.smooth.filter(|w| *w > 0.0);
    // the solid lines: smoothed when asked, else the raw points
    let solid: Vec<Vec<(f64, f64)>> = series
        .iter()
        .map(|(_, pts)| match weight {
            Some(w) => {
                let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
                pts.iter().map(|p| p.0).zip(smooth(&ys, w)).collect()
            }
            None => pts.clone(),
        })
        .collect();
    let raw: Vec<Vec<(f64, f64)>> = series.iter().map(|(_, p)| p.clone()).collect();
    let (corner, headroom) = place_legend(&raw, (x0, x1), (y0, y1), legend_size(&series));
    // ticks in the headroom would name values no series reaches ("10" modes of 8)
    let labelled_top = y1;
    if headroom > 0.0 {
        y1 += (y1 - y0) * headroom / (1.0 - headroom);
    }
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&opts.title, (FAMILY, 22))
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(x0..x1, y0..y1)
            .map_err(fail)?;
        let ylabel = if opts.logy {
            format!("log10 {}", opts.ylabel)
        } else {
            opts.ylabel.clone()
        };
        let x_tick = |v: &f64| tick_label(*v, x_whole);
        let y_tick = |v: &f64| {
            if *v > labelled_top {
                String::new()
            } else {
                tick_label(*v, y_whole)
            }
        };
        chart
            .configure_mesh()
            .x_desc(&opts.xlabel)
            .y_desc(ylabel)
            .x_labels(label_count(x0, x1, x_whole))
            .y_labels(label_count(y0, y1, y_whole))
            .x_label_formatter(&x_tick)
            .y_label_formatter(&y_tick)
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        for (i, ((name, pts), line)) in series.iter().zip(&solid).enumerate() {
            let c = color(i);
            if weight.is_some() {
                chart
                    .draw_series(LineSeries::new(pts.clone(), c.mix(0.25).stroke_width(1)))
                    .map_err(fail)?;
            }
            chart
                .draw_series(LineSeries::new(line.clone(), c.stroke_width(2)))
                .map_err(fail)?
                .label(name.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            if wants_markers(line.len(), opts.markers) {
                chart
                    .draw_series(line.iter().map(|&p| Circle::new(p, 4, c.filled())))
                    .map_err(fail)?;
            }
        }
        chart
            .configure_series_labels()
            .position(corner.into())
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FAMILY, 15))
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    RgbImage::from_raw(WIDTH, HEIGHT, buf).ok_or_else(|| err!("plot buffer has the wrong size"))
}

/// The legend's box as fractions of the plot area's width and height (with some room):
/// a 20 px line sample, the longest label at about 9 px a character, 22 px a row, and
/// the gap plotters leaves between the box and the plot's edge.
fn legend_size(series: &[(String, Vec<(f64, f64)>)]) -> (f64, f64) {
    let chars = series
        .iter()
        .map(|(n, _)| n.chars().count())
        .max()
        .unwrap_or(0);
    // plus 16 px of clearance around it, so a line does not graze its edge
    let (w, h) = (66.0 + 9.0 * chars as f64, 30.0 + 22.0 * series.len() as f64);
    // the plot area: the picture less the label areas, margins and caption
    let (area_w, area_h) = (WIDTH as f64 - 100.0, HEIGHT as f64 - 105.0);
    ((w / area_w).min(1.0), (h / area_h).min(0.9))
}

/// A histogram of values in `bins` equal bins.
pub fn hist(values: &[f64], bins: usize, title: &str) -> Result<RgbImage> {
    font::ensure();
    let vals: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if vals.is_empty() || bins == 0 {
        bail!("hist needs at least one finite value and one bin");
    }
    let (lo, hi) = bounds(vals.iter().copied());
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0usize; bins];
    for v in &vals {
        let k = (((v - lo) / width) as usize).min(bins - 1);
        counts[k] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64 * 1.05;
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{title} ({} values, mean {:.4})", vals.len(), mean(&vals)),
                (FAMILY, 22),
            )
            .margin(15)
            .x_label_area_size(45)
            .y_label_area_size(70)
            .build_cartesian_2d(lo..hi, 0.0..top)
            .map_err(fail)?;
        let x_tick = |v: &f64| tick_label(*v, false);
        let y_tick = |v: &f64| tick_label(*v, true);
        chart
            .configure_mesh()
            .x_desc("value")
            .y_desc("count")
            .y_labels(label_count(0.0, top, true))
            .x_label_formatter(&x_tick)
            .y_label_formatter(&y_tick)
            .label_style((FAMILY, 14))
            .axis_desc_style((FAMILY, 16))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(fail)?;
        let c = color(0);
        chart
            .draw_series(counts.iter().enumerate().map(|(k, &n)| {
                let x0 = lo + k as f64 * width;
                Rectangle::new([(x0, 0.0), (x0 + width, n as f64)], c.mix(0.8).filled())
            }))
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    RgbImage::from_raw(WIDTH, HEIGHT, buf).ok_or_else(|| err!("plot buffer has the wrong size"))
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

/// The range of the values with a little margin; a single value gets a unit-wide range.
pub fn bounds(vals: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in vals {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo < 1e-12 {
        return (lo - 0.5, hi + 0.5);
    }
    let m = (hi - lo) * 0.03;
    (lo - m, hi + m)
}
