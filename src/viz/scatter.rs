//! The 2-D GAN picture (as in GAN Lab): real and generated points over the critic's output
//! drawn as a heatmap, with arrows showing where the critic's gradient moves each
//! generated point.

use super::font::{self, FAMILY};
use crate::bail;
use crate::error::Result;
use image::RgbImage;
use plotters::prelude::*;

pub type Point = (f64, f64);

/// Width and height of the picture: square, so distances look right.
const SIDE: u32 = 600;

/// What to draw. Coordinates are data coordinates.
pub struct Scatter {
    pub real: Vec<Point>,
    pub fake: Vec<Point>,
    /// The critic's output on a `res` x `res` lattice over [`Scatter::bounds`], row-major
    /// from the bottom-left corner.
    pub heat: Option<(usize, Vec<f64>)>,
    /// (start, direction) per arrow, direction in data units.
    pub arrows: Vec<(Point, Point)>,
    pub title: String,
}

/// Square bounds around all points with a 10% margin: (min, max) on both axes.
pub fn bounds(real: &[Point], fake: &[Point]) -> (f64, f64) {
    let all = real
        .iter()
        .chain(fake)
        .flat_map(|&(x, y)| [x, y])
        .filter(|v| v.is_finite());
    let (lo, hi) = all.fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(v), b.max(v)));
    if lo > hi {
        return (-1.0, 1.0);
    }
    let margin = ((hi - lo) * 0.1).max(0.1);
    (lo - margin, hi + margin)
}

/// Viridis-like colour for t in [0, 1]: purple (low), teal, yellow (high).
fn colormap(t: f64) -> RGBColor {
    let stops = [
        (68.0, 1.0, 84.0),
        (33.0, 145.0, 140.0),
        (253.0, 231.0, 37.0),
    ];
    let t = t.clamp(0.0, 1.0) * 2.0;
    let (i, f) = if t >= 2.0 {
        (1, 1.0)
    } else {
        (t.floor() as usize, t.fract())
    };
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: f64, q: f64| (p + (q - p) * f).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn fail(e: impl std::fmt::Debug) -> crate::error::Error {
    crate::err!("drawing failed: {e:?}")
}

pub fn render(s: &Scatter) -> Result<RgbImage> {
    font::ensure();
    if s.real.is_empty() && s.fake.is_empty() {
        bail!("scatter2d: no points to draw");
    }
    let (lo, hi) = bounds(&s.real, &s.fake);
    let mut buf = vec![0u8; (SIDE * SIDE * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buf, (SIDE, SIDE)).into_drawing_area();
        root.fill(&WHITE).map_err(fail)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&s.title, (FAMILY, 20))
            .margin(12)
            .x_label_area_size(35)
            .y_label_area_size(45)
            .build_cartesian_2d(lo..hi, lo..hi)
            .map_err(fail)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .label_style((FAMILY, 13))
            .draw()
            .map_err(fail)?;
        if let Some((res, values)) = &s.heat {
            let (vmin, vmax) = values
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), &v| (a.min(v), b.max(v)));
            let span = (vmax - vmin).max(1e-12);
            let cell = (hi - lo) / *res as f64;
            let cells = values.iter().enumerate().map(|(k, &v)| {
                let (i, j) = (k % res, k / res);
                let (x, y) = (lo + i as f64 * cell, lo + j as f64 * cell);
                Rectangle::new(
                    [(x, y), (x + cell, y + cell)],
                    colormap((v - vmin) / span).mix(0.55).filled(),
                )
            });
            chart.draw_series(cells).map_err(fail)?;
        }
        let real = RGBColor(20, 140, 60);
        let fake = RGBColor(200, 40, 120);
        chart
            .draw_series(s.real.iter().map(|&p| Circle::new(p, 2, real.filled())))
            .map_err(fail)?
            .label("real")
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, real.filled()));
        chart
            .draw_series(s.fake.iter().map(|&p| Circle::new(p, 2, fake.filled())))
            .map_err(fail)?
            .label("generated")
            .legend(move |(x, y)| Circle::new((x + 8, y), 4, fake.filled()));
        let arrows = s.arrows.iter().map(|&((x, y), (dx, dy))| {
            PathElement::new(
                vec![(x, y), (x + dx, y + dy)],
                BLACK.mix(0.6).stroke_width(1),
            )
        });
        chart.draw_series(arrows).map_err(fail)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font((FAMILY, 14))
            .draw()
            .map_err(fail)?;
        root.present().map_err(fail)?;
    }
    RgbImage::from_raw(SIDE, SIDE, buf).ok_or_else(|| crate::err!("scatter2d: bad image buffer"))
}
