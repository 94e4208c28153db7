//! The 2-D GAN picture (as in GAN Lab): real and generated points over the critic's output
//! drawn as a heatmap with a colour bar, and arrows showing where the critic's gradient
//! moves some of the generated points. What the frame shows (its fixed view, which arrows,
//! the bar's range) is chosen in [`super::frame`].

use super::axes::tick_label;
use super::font::{self, FAMILY};
use crate::bail;
use crate::error::Result;
use image::RgbImage;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontTransform;

pub type Point = (f64, f64);

/// The plot is square (so distances look right) and this many pixels on a side.
const SIDE: u32 = 600;
/// The strip to its right holds the legend and the colour bar.
const STRIP: u32 = 130;
pub const WIDTH: u32 = SIDE + STRIP;
pub const HEIGHT: u32 = SIDE;

const REAL: RGBColor = RGBColor(0, 120, 50);
const FAKE: RGBColor = RGBColor(120, 40, 170);
const ARROW: RGBColor = RGBColor(235, 110, 0);
const MESH: RGBColor = RGBColor(110, 110, 110);

/// The critic's output on a `res` x `res` lattice over the view, row-major from the
/// bottom-left corner, with the range the colour bar spans and what it shows.
pub struct Heat {
    pub res: usize,
    pub values: Vec<f64>,
    pub range: (f64, f64),
    pub label: String,
}

/// What to draw. Coordinates are data coordinates.
pub struct Scatter {
    pub real: Vec<Point>,
    pub fake: Vec<Point>,
    /// The view (low, high), the same on both axes; points outside are left out and counted.
    pub view: (f64, f64),
    pub heat: Option<Heat>,
    /// (start, direction) per arrow, direction in data units (see [`super::frame::scale_arrows`]).
    pub arrows: Vec<(Point, Point)>,
    /// GAN Lab's manifold: G applied to a regular k x k latent grid, row-major; drawn as a
    /// mesh joining grid neighbours (empty: none).
    pub manifold: Vec<Point>,
    pub title: String,
}

/// Light diverging colours for t in [0, 1]: purple (low: D says generated), white (0.5:
/// undecided), green (high: D says real), pale enough that the points stay visible.
fn colormap(t: f64) -> RGBColor {
    let t = if t.is_finite() {
        t.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let (end, f) = if t < 0.5 {
        ((196.0, 160.0, 230.0), (0.5 - t) * 2.0)
    } else {
        ((150.0, 215.0, 160.0), (t - 0.5) * 2.0)
    };
    let mix = |e: f64| (255.0 + (e - 255.0) * f).round() as u8;
    RGBColor(mix(end.0), mix(end.1), mix(end.2))
}

fn fail(e: impl std::fmt::Debug) -> crate::error::Error {
    crate::err!("drawing failed: {e:?}")
}

/// The two short strokes of an arrow's head at the end of (start, direction).
fn arrow_head((x, y): Point, (dx, dy): Point) -> [Vec<Point>; 2] {
    let (ex, ey) = (x + dx, y + dy);
    let len = dx.hypot(dy);
    let head = 0.35 * len;
    let (ux, uy) = (dx / len, dy / len);
    let side = |s: f64| {
        let (c, n) = (0.9f64, 0.45 * s); // cos and sin of about 25 degrees
        let (bx, by) = (-ux * c - uy * n, -uy * c + ux * n);
        vec![(ex, ey), (ex + head * bx, ey + head * by)]
    };
    [side(1.0), side(-1.0)]
}

pub fn render(s: &Scatter) -> Result<RgbImage> {
    font::ensure();
    if s.real.is_empty() && s.fake.is_empty() {
        bail!("scatter2d: no points to draw");
    }
    let (lo, hi) = s.view;
    if lo.partial_cmp(&hi) != Some(std::cmp::Ordering::Less) {
        bail!("scatter2d: the view must be [low, high] with low < high, got [{lo}, {hi}]");
    }
    let seen = |&&(x, y): &&Point| (lo..=hi).contains(&x) && (lo..=hi).contains(&y);
    let real: Vec<Point> = s.real.iter().filter(seen).copied().collect();
    let fake: Vec<Point> = s.fake.iter().filter(seen).copied().collect();
    let hidden = (s.real.len() - real.len()) + (s.fake.len() - fake.len());
    let mut buf = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let (left, strip) = root.split_horizontally(SIDE);
        let mut chart = ChartBuilder::on(&left)
            .caption(&s.title, (FAMILY, 20))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(fail)?;
        if let Some(h) = &s.heat {
            let span = (h.range.1 - h.range.0).max(1e-12);
            let cell = (hi - lo) / h.res as f64;
            let cells = h.values.iter().enumerate().map(|(k, &v)| {
                let (i, j) = (k % h.res, k / h.res);
                let (x, y) = (lo + i as f64 * cell, lo + j as f64 * cell);
                Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    colormap((v - h.range.0) / span).filled(),
                )
            });
            chart.draw_series(cells).map_err(fail)?;
        }
        let tick = |v: &f64| tick_label(*v, false);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_label_formatter(&tick)
            .y_label_formatter(&tick)
            .label_style((FAMILY, 13))
            .draw()
            .map_err(fail)?;
        draw_manifold(&mut chart, &s.manifold)?;
        chart
            .draw_series(real.iter().map(|&p| Circle::new(p, 2, REAL.filled())))
            .map_err(fail)?;
        chart
            .draw_series(fake.iter().map(|&p| Circle::new(p, 2, FAKE.filled())))
            .map_err(fail)?;
        let style = ARROW.stroke_width(2);
        for &(p, d) in &s.arrows {
            if d.0.hypot(d.1) <= 0.0 {
                continue;
            }
            let shaft = PathElement::new(vec![p, (p.0 + d.0, p.1 + d.1)], style);
            chart.draw_series(std::iter::once(shaft)).map_err(fail)?;
            let head = arrow_head(p, d).map(|pts| PathElement::new(pts, style));
            chart.draw_series(head).map_err(fail)?;
        }
        side_strip(&strip, s, hidden)?;
        root.present().map_err(fail)?;
    }
    RgbImage::from_raw(WIDTH, HEIGHT, buf).ok_or_else(|| crate::err!("scatter2d: bad image buffer"))
}

/// The warped latent grid: a line through each row and each column of the k x k points.
fn draw_manifold<DB: DrawingBackend>(
    chart: &mut ChartContext<DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>,
    points: &[Point],
) -> Result<()> {
    let k = (points.len() as f64).sqrt() as usize;
    if k < 2 || k * k != points.len() {
        return Ok(());
    }
    let style = MESH.stroke_width(1);
    for i in 0..k {
        let row = (0..k).map(|j| points[i * k + j]).collect::<Vec<_>>();
        let col = (0..k).map(|j| points[j * k + i]).collect::<Vec<_>>();
        chart
            .draw_series([PathElement::new(row, style), PathElement::new(col, style)])
            .map_err(fail)?;
    }
    Ok(())
}

/// The legend (what each mark is) and, with a heatmap, its colour bar.
fn side_strip(
    strip: &DrawingArea<BitMapBackend, plotters::coord::Shift>,
    s: &Scatter,
    hidden: usize,
) -> Result<()> {
    let text = (FAMILY, 14).into_font().color(&BLACK);
    let small = (FAMILY, 12).into_font().color(&RGBColor(90, 90, 90));
    let mut y = 50;
    for (color, label) in [(REAL, "real"), (FAKE, "generated")] {
        strip
            .draw(&Circle::new((14, y), 4, color.filled()))
            .map_err(fail)?;
        strip
            .draw(&Text::new(label, (26, y - 8), text.clone()))
            .map_err(fail)?;
        y += 24;
    }
    if !s.arrows.is_empty() {
        let style = ARROW.stroke_width(2);
        strip
            .draw(&PathElement::new(vec![(6, y), (22, y)], style))
            .map_err(fail)?;
        strip
            .draw(&PathElement::new(vec![(22, y), (17, y - 4)], style))
            .map_err(fail)?;
        strip
            .draw(&PathElement::new(vec![(22, y), (17, y + 4)], style))
            .map_err(fail)?;
        strip
            .draw(&Text::new("D's push", (26, y - 8), text.clone()))
            .map_err(fail)?;
        y += 24;
    }
    if !s.manifold.is_empty() {
        strip
            .draw(&PathElement::new(
                vec![(6, y), (22, y)],
                MESH.stroke_width(1),
            ))
            .map_err(fail)?;
        strip
            .draw(&Text::new("G's manifold", (26, y - 8), text.clone()))
            .map_err(fail)?;
        y += 24;
    }
    if hidden > 0 {
        strip
            .draw(&Text::new(
                format!("{hidden} point{}", if hidden == 1 { "" } else { "s" }),
                (6, y - 6),
                small.clone(),
            ))
            .map_err(fail)?;
        strip
            .draw(&Text::new("outside the view", (6, y + 8), small.clone()))
            .map_err(fail)?;
    }
    let Some(h) = &s.heat else {
        return Ok(());
    };
    // the bar: bottom = the range's low end, top = its high end
    let (top, bottom, x0, x1) = (190, 540, 12, 34);
    for py in top..bottom {
        let t = (bottom - py) as f64 / (bottom - top) as f64;
        strip
            .draw(&Rectangle::new(
                [(x0, py), (x1, py + 1)],
                colormap(t).filled(),
            ))
            .map_err(fail)?;
    }
    strip
        .draw(&Rectangle::new(
            [(x0, top), (x1, bottom)],
            RGBColor(120, 120, 120),
        ))
        .map_err(fail)?;
    for k in 0..=4 {
        let f = k as f64 / 4.0;
        let v = h.range.0 + f * (h.range.1 - h.range.0);
        let py = bottom - (f * (bottom - top) as f64).round() as i32;
        strip
            .draw(&PathElement::new(
                vec![(x1, py), (x1 + 4, py)],
                BLACK.stroke_width(1),
            ))
            .map_err(fail)?;
        strip
            .draw(&Text::new(
                tick_label(round_tick(v), false),
                (x1 + 7, py - 7),
                small.clone(),
            ))
            .map_err(fail)?;
    }
    let label = (FAMILY, 14)
        .into_font()
        .transform(FontTransform::Rotate270)
        .color(&BLACK);
    let (mid, chars) = ((top + bottom) / 2, h.label.chars().count() as i32);
    strip
        .draw(&Text::new(
            h.label.clone(),
            (100, mid + chars * 7 / 2),
            label,
        ))
        .map_err(fail)?;
    Ok(())
}

/// A tick value with 3 significant digits (the bar's ends are data, not round numbers).
fn round_tick(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let scale = 10f64.powi(2 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}
