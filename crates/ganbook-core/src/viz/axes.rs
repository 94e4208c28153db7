//! What makes a plot's axes readable: the y axis named by its series, integer ticks for
//! whole numbers, and a legend placed where it covers no data. Pure functions, no drawing.

use plotters::prelude::SeriesLabelPosition;

/// The y axis's name for these series: the words (split at '_') that every name shares,
/// in the first name's order ("modes_plain", "modes_pacgan" -> "modes"), else the names.
pub fn axis_name(names: &[String]) -> String {
    let Some(first) = names.first() else {
        return String::new();
    };
    let shared: Vec<&str> = first
        .split('_')
        .filter(|w| !w.is_empty() && names.iter().all(|n| n.split('_').any(|x| x == *w)))
        .collect();
    if names.len() > 1 && !shared.is_empty() {
        shared.join(" ")
    } else {
        names.join(", ")
    }
}

/// Whether every value is a whole number (ticks then print as "8", not "8.0").
pub fn all_whole(vals: impl IntoIterator<Item = f64>) -> bool {
    vals.into_iter()
        .all(|v| v.is_finite() && v == v.round() && v.abs() < 1e15)
}

/// The text of a tick at `v`: an integer when the axis holds whole numbers (no label at a
/// tick between two integers), else the shortest decimal that shows it.
pub fn tick_label(v: f64, whole: bool) -> String {
    if whole {
        let r = v.round();
        return if (v - r).abs() < 1e-9 * v.abs().max(1.0) {
            format!("{}", r as i64)
        } else {
            String::new()
        };
    }
    let a = v.abs();
    if a != 0.0 && !(1e-4..1e6).contains(&a) {
        return format!("{v:.2e}");
    }
    let text = format!("{v:.6}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    if text == "-0" {
        "0".into()
    } else {
        text.into()
    }
}

/// How many tick labels an axis over `lo..hi` gets: at most 10, and for whole-number axes
/// no more than the integers in the range (so no tick falls between two integers).
pub fn label_count(lo: f64, hi: f64, whole: bool) -> usize {
    if whole {
        ((hi.floor() - lo.ceil()) as usize + 1).clamp(2, 10)
    } else {
        10
    }
}

/// A corner of the plot area for the legend.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Corner {
    UpperRight,
    UpperLeft,
    LowerRight,
    LowerLeft,
}

/// Where the legend goes so that it covers no data: the first corner (upper right, upper
/// left, lower right, lower left) whose box of `size` (fractions of the plot's width and
/// height) holds no point or line of `series` in the view `x` by `y`; if every corner is
/// taken, the upper right with the y range raised by the returned fraction of the new range
/// (headroom: the legend sits above the data).
pub fn place_legend(
    series: &[Vec<(f64, f64)>],
    x: (f64, f64),
    y: (f64, f64),
    size: (f64, f64),
) -> (Corner, f64) {
    let frac = |(px, py): (f64, f64)| ((px - x.0) / (x.1 - x.0), (py - y.0) / (y.1 - y.0));
    // points, and 8 more along each segment, as fractions of the view
    let mut dots = Vec::new();
    for pts in series {
        for (k, &p) in pts.iter().enumerate() {
            dots.push(frac(p));
            if let Some(&q) = pts.get(k + 1) {
                for i in 1..9 {
                    let t = i as f64 / 9.0;
                    dots.push(frac((p.0 + t * (q.0 - p.0), p.1 + t * (q.1 - p.1))));
                }
            }
        }
    }
    let (w, h) = size;
    for corner in [
        Corner::UpperRight,
        Corner::UpperLeft,
        Corner::LowerRight,
        Corner::LowerLeft,
    ] {
        let (right, upper) = match corner {
            Corner::UpperRight => (true, true),
            Corner::UpperLeft => (false, true),
            Corner::LowerRight => (true, false),
            Corner::LowerLeft => (false, false),
        };
        let inside = |&(fx, fy): &(f64, f64)| {
            let in_x = if right { fx >= 1.0 - w } else { fx <= w };
            let in_y = if upper { fy >= 1.0 - h } else { fy <= h };
            in_x && in_y
        };
        if !dots.iter().any(inside) {
            return (corner, 0.0);
        }
    }
    (Corner::UpperRight, h)
}

impl From<Corner> for SeriesLabelPosition {
    fn from(c: Corner) -> Self {
        match c {
            Corner::UpperRight => SeriesLabelPosition::UpperRight,
            Corner::UpperLeft => SeriesLabelPosition::UpperLeft,
            Corner::LowerRight => SeriesLabelPosition::LowerRight,
            Corner::LowerLeft => SeriesLabelPosition::LowerLeft,
        }
    }
}
