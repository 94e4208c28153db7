//! Procedural digits 0-9 with labels, in two styles (the DTN paper's SVHN -> MNIST pair):
//! - "handwritten": white strokes on black, varied width, slant, scale, position and a smooth
//!   elastic jitter of the stroke skeleton, lightly blurred (MNIST-like);
//! - "street": a coloured, evenly stroked digit on a textured coloured background, with the
//!   neighbouring house-number digits cut at the edges, blur and noise (SVHN-like).

use super::raster::{Affine, Canvas, arc, luma, mix, quad, value_noise};
use super::source::{Source, item_rng, to_channels};
use crate::bail;
use crate::error::Result;
use rand::Rng;
use rand::rngs::StdRng;

type Pts = Vec<(f32, f32)>;

/// The skeleton of digit `d` as strokes in a unit glyph box (x right, y down).
pub fn glyph(d: usize) -> Vec<Pts> {
    let l = |pts: &[(f32, f32)]| pts.to_vec();
    match d {
        0 => vec![arc(0.5, 0.5, 0.3, 0.45, 0.0, 360.0, 24)],
        1 => vec![l(&[(0.32, 0.25), (0.55, 0.05), (0.55, 0.95)])],
        2 => {
            let mut s = arc(0.5, 0.3, 0.28, 0.25, 200.0, 380.0, 12);
            s.extend(quad((0.77, 0.38), (0.5, 0.65), (0.2, 0.95), 6));
            s.push((0.82, 0.95));
            vec![s]
        }
        3 => {
            let mut s = arc(0.48, 0.28, 0.26, 0.23, 200.0, 450.0, 12);
            s.extend(arc(0.48, 0.73, 0.3, 0.23, 270.0, 520.0, 12));
            vec![s]
        }
        4 => vec![l(&[(0.62, 0.95), (0.62, 0.05), (0.15, 0.68), (0.85, 0.68)])],
        5 => {
            let mut s = l(&[(0.78, 0.06), (0.32, 0.06), (0.27, 0.46)]);
            s.extend(arc(0.5, 0.66, 0.3, 0.29, 225.0, 500.0, 14));
            vec![s]
        }
        6 => {
            let mut s = quad((0.72, 0.06), (0.22, 0.25), (0.21, 0.7), 8);
            s.extend(arc(0.5, 0.7, 0.29, 0.26, 180.0, 540.0, 18));
            vec![s]
        }
        7 => vec![l(&[(0.16, 0.06), (0.84, 0.06), (0.4, 0.95)])],
        8 => vec![
            arc(0.5, 0.27, 0.24, 0.22, 0.0, 360.0, 18),
            arc(0.5, 0.72, 0.3, 0.24, 0.0, 360.0, 20),
        ],
        _ => {
            let mut s = arc(0.5, 0.32, 0.28, 0.27, 0.0, 360.0, 18);
            s.extend(quad((0.78, 0.32), (0.76, 0.7), (0.55, 0.95), 6));
            vec![s]
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    Handwritten,
    Street,
}

impl Style {
    pub fn parse(s: &str) -> Result<Style> {
        Ok(match s {
            "handwritten" => Style::Handwritten,
            "street" => Style::Street,
            _ => bail!("digits: unknown style '{s}' (styles: handwritten, street)"),
        })
    }
}

pub struct Digits {
    pub style: Style,
    pub size: usize,
    pub channels: usize,
    pub n: usize,
    pub seed: u64,
}

impl Digits {
    /// The label of image `i`: drawn from its RNG (uniform over 0-9).
    fn digit(&self, i: usize) -> usize {
        item_rng(self.seed, 11, i as u64).random_range(0..10)
    }

    /// Draws digit `d` (strokes of width `lw`) with its glyph box at centre (cx, cy), size
    /// (gw, gh), in drawing units; `jitter` bends the skeleton smoothly.
    #[allow(clippy::too_many_arguments)]
    fn draw_glyph(
        c: &mut Canvas,
        d: usize,
        cx: f32,
        cy: f32,
        gw: f32,
        gh: f32,
        lw: f32,
        jitter: (f32, u64),
        col: [f32; 3],
    ) {
        let (amp, js) = jitter;
        for stroke in glyph(d) {
            let pts: Pts = stroke
                .iter()
                .map(|&(x, y)| {
                    let jx = amp * (value_noise(js, x * 2.5, y * 2.5) - 0.5);
                    let jy = amp * (value_noise(js ^ 77, x * 2.5, y * 2.5) - 0.5);
                    (cx + (x - 0.5 + jx) * gw, cy + (y - 0.5 + jy) * gh)
                })
                .collect();
            c.stroke(&pts, lw, col);
        }
    }

    fn handwritten(&self, d: usize, r: &mut StdRng) -> Canvas {
        let s = self.size;
        let mut c = Canvas::new(s, s, [0.0; 3]);
        let slant = r.random_range(-0.35..0.25f32);
        let rot = r.random_range(-0.15..0.15f32);
        let scale = r.random_range(0.78..1.05f32);
        let (dx, dy) = (
            r.random_range(-0.05..0.05f32),
            r.random_range(-0.04..0.04f32),
        );
        c.xf = Affine::unit(s, s).around((0.5, 0.5), rot, slant, scale, (dx, dy));
        let gw = r.random_range(0.38..0.55f32) * if d == 1 { 0.6 } else { 1.0 };
        let lw = r.random_range(0.07..0.13f32);
        let jitter = (r.random_range(0.05..0.2f32), r.random());
        Self::draw_glyph(&mut c, d, 0.5, 0.5, gw, 0.68, lw, jitter, [1.0; 3]);
        c.blur(0.35 * s as f32 / 28.0);
        c.clamp();
        c
    }

    fn street(&self, d: usize, r: &mut StdRng) -> Canvas {
        let s = self.size;
        let rand_col = |r: &mut StdRng| [r.random::<f32>(), r.random::<f32>(), r.random::<f32>()];
        // muted colours, as on real house-number plates
        let bg = mix(rand_col(r), [0.5; 3], r.random_range(0.2..0.6f32));
        let mut fg = mix(rand_col(r), [0.5; 3], r.random_range(0.0..0.4f32));
        if (luma(fg) - luma(bg)).abs() < 0.35 {
            let l = luma(bg);
            fg = mix(fg, if l > 0.5 { [0.05; 3] } else { [0.97; 3] }, 0.75);
        }
        let mut c = Canvas::new(s, s, bg);
        // texture: two octaves of value noise, and a lighting gradient
        let (ts, tamp) = (r.random::<u64>(), r.random_range(0.05..0.25f32));
        let (gx, gy) = (
            r.random_range(-0.25..0.25f32),
            r.random_range(-0.25..0.25f32),
        );
        c.fill_with(
            (0.0, 0.0, 1.0, 1.0),
            1.0,
            |_, _| -1.0,
            |x, y| {
                let n = value_noise(ts, x * 5.0, y * 5.0) * 0.6
                    + value_noise(ts ^ 9, x * 13.0, y * 13.0) * 0.4;
                let k = 1.0 + tamp * (n - 0.5) * 2.0 + gx * (x - 0.5) + gy * (y - 0.5);
                [bg[0] * k, bg[1] * k, bg[2] * k]
            },
        );
        let scale = r.random_range(0.85..1.1f32);
        let rot = r.random_range(-0.08..0.08f32);
        let slant = r.random_range(-0.15..0.1f32);
        let (dx, dy) = (
            r.random_range(-0.04..0.04f32),
            r.random_range(-0.05..0.05f32),
        );
        c.xf = Affine::unit(s, s).around((0.5, 0.5), rot, slant, scale, (dx, dy));
        let gw = r.random_range(0.36..0.46f32);
        let gh = r.random_range(0.6..0.72f32);
        let lw = r.random_range(0.09..0.14f32);
        let gap = gw * r.random_range(1.15..1.4f32);
        for off in [-gap, gap] {
            if r.random::<f32>() < 0.8 {
                let nd = r.random_range(0..10);
                Self::draw_glyph(&mut c, nd, 0.5 + off, 0.5, gw, gh, lw, (0.0, 0), fg);
            }
        }
        Self::draw_glyph(
            &mut c,
            d,
            0.5,
            0.5,
            if d == 1 { gw * 0.7 } else { gw },
            gh,
            lw,
            (0.0, 0),
            fg,
        );
        c.blur(r.random_range(0.3..0.9f32) * s as f32 / 32.0);
        c.noise(r.random_range(0.01..0.05f32), r.random(), false);
        c.clamp();
        c
    }
}

impl Source for Digits {
    fn len(&self) -> usize {
        self.n
    }

    fn shape(&self) -> [usize; 3] {
        [self.channels, self.size, self.size]
    }

    fn image(&self, i: usize) -> Result<Vec<f32>> {
        let d = self.digit(i);
        let mut r = item_rng(self.seed, 12, i as u64);
        let c = match self.style {
            Style::Handwritten => self.handwritten(d, &mut r),
            Style::Street => self.street(d, &mut r),
        };
        Ok(to_channels(c.px, self.size * self.size, self.channels))
    }

    fn label(&self, i: usize) -> Option<usize> {
        Some(self.digit(i))
    }

    fn classes(&self) -> Vec<String> {
        (0..10).map(|d| d.to_string()).collect()
    }

    fn builtin(&self) -> Option<&'static str> {
        Some("digits")
    }

    fn describe(&self) -> String {
        let style = match self.style {
            Style::Handwritten => "handwritten",
            Style::Street => "street",
        };
        format!(
            "digits {style} n={} [{}, {}, {}]",
            self.n, self.channels, self.size, self.size
        )
    }
}
