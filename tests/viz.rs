//! The teaching pictures' rules, checked on the functions that make them: tick labels,
//! y-axis names, legend placement, markers on short series, fixed scatter views, scaled
//! arrows, frame titles, and GIFs of several series side by side.

use ganbook::viz::axes::{self, Corner};
use ganbook::viz::frame::{self, Views};
use ganbook::viz::gif;
use ganbook::viz::plot::{self, PlotOptions};
use std::path::PathBuf;

#[test]
fn whole_numbers_get_integer_ticks() {
    assert!(axes::all_whole([0.0, 8.0, 2000.0]));
    assert!(!axes::all_whole([0.0, 0.5]));
    assert!(!axes::all_whole([f64::NAN]));
    assert_eq!(axes::tick_label(8.0, true), "8");
    assert_eq!(axes::tick_label(2000.0, true), "2000");
    assert_eq!(axes::tick_label(-3.0, true), "-3");
    // a tick between two integers on a whole-number axis gets no label, not a rounded one
    assert_eq!(axes::tick_label(0.5, true), "");
    assert_eq!(axes::tick_label(0.25, false), "0.25");
    assert_eq!(axes::tick_label(1.0, false), "1");
    assert_eq!(axes::tick_label(0.1 + 0.2, false), "0.3");
    assert_eq!(axes::tick_label(-0.0, false), "0");
    assert_eq!(axes::tick_label(2.5e-7, false), "2.50e-7");
}

#[test]
fn the_y_axis_is_named_by_the_series() {
    let names = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        axes::axis_name(&names(&["modes_plain", "modes_pacgan"])),
        "modes"
    );
    assert_eq!(axes::axis_name(&names(&["d_loss", "g_loss"])), "loss");
    assert_eq!(axes::axis_name(&names(&["fid"])), "fid");
    assert_eq!(axes::axis_name(&names(&["fid", "is"])), "fid, is");
}

#[test]
fn the_legend_goes_where_there_is_no_data() {
    let (x, y, size) = ((0.0, 10.0), (0.0, 10.0), (0.3, 0.2));
    // a line along the top: the upper corners are taken, the lower right is free
    let top = vec![vec![(0.0, 9.5), (10.0, 9.5)]];
    assert_eq!(
        axes::place_legend(&top, x, y, size),
        (Corner::LowerRight, 0.0)
    );
    // a rising line: it crosses the lower left and upper right, not the upper left
    let rising = vec![vec![(0.0, 0.0), (10.0, 10.0)]];
    assert_eq!(
        axes::place_legend(&rising, x, y, size),
        (Corner::UpperLeft, 0.0)
    );
    // lines along the top and the bottom: no corner is free, the plot gets headroom
    let both = vec![top[0].clone(), vec![(0.0, 0.5), (10.0, 0.5)]];
    assert_eq!(
        axes::place_legend(&both, x, y, size),
        (Corner::UpperRight, 0.2)
    );
}

/// Pixels of the first series' colour in a plot of one series.
fn blue_pixels(points: &[(f64, f64)], markers: Option<bool>) -> usize {
    let opts = PlotOptions {
        markers,
        ..PlotOptions::default()
    };
    let img = plot::lines(&[("fid".into(), points.to_vec())], &opts).unwrap();
    let c = plot::color(0);
    img.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count()
}

#[test]
fn short_series_get_markers_and_long_ones_do_not() {
    assert!(plot::wants_markers(7, None));
    assert!(plot::wants_markers(30, None));
    assert!(!plot::wants_markers(31, None));
    assert!(!plot::wants_markers(7, Some(false)));
    assert!(plot::wants_markers(500, Some(true)));
    let fid = [
        (0.0, 2270.0),
        (10.0, 2260.0),
        (20.0, 2120.0),
        (30.0, 1940.0),
        (40.0, 1790.0),
    ];
    let (auto, bare) = (blue_pixels(&fid, None), blue_pixels(&fid, Some(false)));
    // five dots of radius 4 add at least ~20 pixels each beside the line
    assert!(auto > bare + 100, "markers add pixels: {auto} vs {bare}");
}

#[test]
fn a_series_keeps_the_view_fitted_to_its_first_real_points() {
    let ring: Vec<(f64, f64)> = (0..8)
        .map(|k| {
            let a = k as f64 * std::f64::consts::FRAC_PI_4;
            (2.0 * a.cos(), 2.0 * a.sin())
        })
        .collect();
    let (lo, hi) = frame::fit_view(&ring);
    assert!((lo + 2.0 + 0.35 * 4.0).abs() < 1e-9 && (hi - 2.0 - 0.35 * 4.0).abs() < 1e-9);
    let mut views = Views::default();
    let first = views.view("plain/step", &ring);
    assert_eq!(first, (lo, hi));
    // later frames: other real samples inside the view keep it exactly
    let shrunk: Vec<(f64, f64)> = ring.iter().map(|&(x, y)| (0.9 * x, 0.9 * y)).collect();
    assert_eq!(views.view("plain/step", &shrunk), first);
    // another series has its own view; data that no longer fits is fitted again
    let big: Vec<(f64, f64)> = ring.iter().map(|&(x, y)| (3.0 * x, 3.0 * y)).collect();
    assert_eq!(views.view("grid/step", &big), frame::fit_view(&big));
    assert_eq!(views.view("plain/step", &big), frame::fit_view(&big));
}

#[test]
fn arrows_are_few_and_scaled_to_the_view() {
    // 100 gradients, one a thousand times longer than the rest
    let mut grads: Vec<((f64, f64), (f64, f64))> =
        (0..100).map(|k| ((k as f64, 0.0), (0.01, 0.02))).collect();
    grads[3].1 = (10.0, 20.0);
    let span = 6.0;
    let arrows = frame::scale_arrows(&grads, span);
    assert_eq!(arrows.len(), frame::MAX_ARROWS);
    let lengths: Vec<f64> = arrows.iter().map(|(_, (dx, dy))| dx.hypot(*dy)).collect();
    // the typical arrow is 6% of the view, the outlier is cut to 10%, directions are kept
    assert!((lengths[0] - 0.06 * span).abs() < 1e-9, "{}", lengths[0]);
    assert!((lengths[3] - 0.1 * span).abs() < 1e-9, "{}", lengths[3]);
    assert!((arrows[3].1.1 / arrows[3].1.0 - 2.0).abs() < 1e-9);
    assert!(frame::scale_arrows(&[((0.0, 0.0), (0.0, 0.0))], span).is_empty());
}

#[test]
fn frames_are_titled_by_step_and_other_pictures_by_name() {
    assert_eq!(
        frame::frame_title(None, "plain/step", Some(300)),
        "step 300"
    );
    assert_eq!(frame::frame_title(None, "final", Some(1950)), "final");
    assert_eq!(
        frame::frame_title(None, "after_training", Some(1950)),
        "after training"
    );
    assert_eq!(
        frame::frame_title(Some("mine".into()), "plain/step", Some(3)),
        "mine"
    );
}

fn save(dir: &std::path::Path, name: &str, w: u32, h: u32, shade: u8) -> PathBuf {
    let path = dir.join(name);
    image::RgbImage::from_pixel(w, h, image::Rgb([shade, 0, 0]))
        .save(&path)
        .unwrap();
    path
}

#[test]
fn series_side_by_side_make_one_wide_frame_each() {
    let dir = std::env::temp_dir().join(format!("ganbook-viz-gif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let left: Vec<PathBuf> = (0..3)
        .map(|k| save(&dir, &format!("a_{k}.png"), 30, 20, 10 * k as u8))
        .collect();
    let right: Vec<PathBuf> = (0..2)
        .map(|k| save(&dir, &format!("b_{k}.png"), 40, 16, 100 + k as u8))
        .collect();
    let frames = gif::side_by_side(&[left, right]).unwrap();
    assert_eq!(frames.len(), 3, "as many frames as the longest series");
    for f in &frames {
        assert_eq!(f.dimensions(), (30 + 40, 20));
    }
    // frame 2: the left's third frame beside the right's last; white below the shorter one
    assert_eq!(frames[2].get_pixel(0, 0).0, [20, 0, 0, 255]);
    assert_eq!(frames[2].get_pixel(30, 0).0, [101, 0, 0, 255]);
    assert_eq!(frames[2].get_pixel(30, 18).0, [255, 255, 255, 255]);
    let odd = vec![
        save(&dir, "c_0.png", 30, 20, 0),
        save(&dir, "c_1.png", 31, 20, 0),
    ];
    let e = gif::side_by_side(&[odd]).unwrap_err().to_string();
    assert!(e.contains("must be one size"), "{e}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn arrows_start_one_per_cell_inside_the_view() {
    // a collapsed cluster of 400 points in one spot, one point far outside the view
    let mut fake: Vec<(f64, f64)> = (0..400)
        .map(|k| (0.001 * (k % 20) as f64, 0.001 * (k / 20) as f64))
        .collect();
    fake.push((50.0, 50.0));
    let starts = frame::arrow_starts(&fake, (-3.0, 3.0));
    assert_eq!(starts.len(), 1, "one cell, one arrow: {starts:?}");
    // spread points: capped at MAX_ARROWS
    let spread: Vec<(f64, f64)> = (0..2000)
        .map(|k| {
            (
                -2.9 + 0.0029 * k as f64,
                2.9 - 0.0029 * ((k * 7) % 2000) as f64,
            )
        })
        .collect();
    assert_eq!(
        frame::arrow_starts(&spread, (-3.0, 3.0)).len(),
        frame::MAX_ARROWS
    );
}

#[test]
fn the_probability_bar_is_centred_and_just_wide_enough() {
    assert_eq!(frame::probability_range(&[0.47, 0.52]), (0.45, 0.55));
    assert_eq!(frame::probability_range(&[0.5]), (0.49, 0.51));
    let (lo, hi) = frame::probability_range(&[0.05, 0.7]);
    assert!((lo - 0.0).abs() < 1e-12 && (hi - 1.0).abs() < 1e-12);
    let (lo, hi) = frame::probability_range(&[0.35, 0.6]);
    assert!((lo - 0.3).abs() < 1e-12 && (hi - 0.7).abs() < 1e-12);
}

#[test]
fn labelled_frames_say_their_step() {
    use std::path::Path;
    assert_eq!(
        gif::frame_label(Path::new("out/samples/step_000300.png")),
        "step 300"
    );
    assert_eq!(
        gif::frame_label(Path::new("out/samples/step_000000.png")),
        "step 0"
    );
    assert_eq!(
        gif::frame_label(Path::new("out/samples/final.png")),
        "final"
    );
    let frame = image::RgbaImage::from_pixel(50, 40, image::Rgba([10, 20, 30, 255]));
    let out = gif::labelled(vec![frame], &["step 300".into()]).unwrap();
    assert_eq!(out[0].dimensions(), (50, 40 + gif::LABEL_BAND));
    // the frame sits under the band, and the band holds dark text on white
    assert_eq!(out[0].get_pixel(0, gif::LABEL_BAND).0, [10, 20, 30, 255]);
    let band_dark = (0..50)
        .flat_map(|x| (0..gif::LABEL_BAND).map(move |y| (x, y)))
        .filter(|&(x, y)| out[0].get_pixel(x, y).0[0] < 128)
        .count();
    assert!(
        band_dark > 20,
        "the label is drawn: {band_dark} dark pixels"
    );
}
