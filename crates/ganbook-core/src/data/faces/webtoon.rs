//! "webtoon": monochrome line art on white paper: thick black outlines, dark hair solid
//! black or hatched, solid black eyes with a highlight, no shading gradients.

use super::attributes::{Attributes, Layout};
use crate::data::raster::{Affine, Canvas, ebox, ellipse, luma};

const INK: [f32; 3] = [0.0; 3];
const PAPER: [f32; 3] = [1.0; 3];

/// Distance to a family of parallel hatching lines of `period` at angle `ang`, minus half width.
fn hatch(x: f32, y: f32, ang: f32, period: f32, lw: f32) -> f32 {
    let t = x * ang.cos() + y * ang.sin();
    let m = t.rem_euclid(period);
    m.min(period - m) - lw / 2.0
}

pub fn draw(a: &Attributes, size: usize) -> Canvas {
    let l = Layout::new(a, 1.25);
    let mut c = Canvas::new(size, size, PAPER);
    // thicker lines at small sizes so they survive rasterisation
    let ol = (0.028f32).max(1.1 / size as f32);
    let hl = (0.018f32).max(0.8 / size as f32);
    c.xf = Affine::unit(size, size).around((l.cx, l.cy), a.tilt, 0.0, 1.0, a.shift);
    // background: sometimes screen-tone hatching
    if a.background > 0.8 {
        let ang = a.background * 6.0;
        c.fill((0.0, 0.0, 1.0, 1.0), [0.35; 3], |x, y| {
            hatch(x, y, ang, 0.12, hl * 0.7).max(-0.01)
        });
    }
    let dark_hair = luma(a.hair_rgb()) < 0.4;
    let all = (-0.2, -0.2, 1.2, 1.2);
    // shoulders and neck
    c.fill(all, INK, |x, y| {
        ellipse(x - 0.5, y - 1.12, 0.42, 0.26) - ol / 2.0
    });
    c.fill(all, PAPER, |x, y| {
        ellipse(x - 0.5, y - 1.12, 0.42, 0.26) + ol / 2.0
    });
    let neck = |x: f32, y: f32| (x - 0.5).abs().max((y - 0.84).abs()) - 0.075;
    c.fill(all, INK, |x, y| neck(x, y) - ol / 2.0);
    c.fill(all, PAPER, |x, y| neck(x, y) + ol / 2.0);
    // hair behind the head
    let back = |x, y| l.hair_back_sdf(a, x, y).unwrap_or(1.0);
    c.fill(all, INK, |x, y| back(x, y) - ol / 2.0);
    if !dark_hair {
        c.fill(all, PAPER, |x, y| back(x, y) + ol / 2.0);
        c.fill(all, INK, |x, y| back(x, y).max(hatch(x, y, 1.0, 0.045, hl)));
    }
    // ears and head
    for s in [-1.0f32, 1.0] {
        let ex = l.cx + s * l.rx * 0.98;
        c.ellipse(ex, l.eye_y + 0.02, 0.04 + ol / 2.0, 0.055 + ol / 2.0, INK);
        c.ellipse(ex, l.eye_y + 0.02, 0.04 - ol / 2.0, 0.055 - ol / 2.0, PAPER);
    }
    let hb = ebox(l.cx, l.cy, l.rx + 0.05, l.ry + 0.05);
    c.fill(hb, INK, |x, y| l.head_sdf(a.chin, x, y) - ol / 2.0);
    c.fill(hb, PAPER, |x, y| l.head_sdf(a.chin, x, y) + ol / 2.0);
    if a.beard {
        c.fill(hb, INK, |x, y| {
            l.beard_sdf(a, x, y).max(hatch(x, y, -0.8, 0.035, hl))
        });
    }
    // hair cap: solid or hatched with an outline
    let cap = |x, y| l.hair_cap_sdf(a, x, y);
    c.fill(all, INK, |x, y| cap(x, y) - ol / 2.0);
    if !dark_hair {
        c.fill(all, PAPER, |x, y| cap(x, y) + ol / 2.0);
        c.fill(all, INK, |x, y| cap(x, y).max(hatch(x, y, 1.0, 0.045, hl)));
    }
    // eyes: solid black with a white highlight, a heavy upper lid
    for s in [-1.0f32, 1.0] {
        let ex = l.cx + s * l.eye_dx;
        c.ellipse(ex, l.eye_y, l.eye_rx * 0.75, l.eye_ry, INK);
        let hr = l.eye_ry * 0.35;
        c.ellipse(
            ex + l.eye_rx * 0.25,
            l.eye_y - l.eye_ry * 0.35,
            hr,
            hr,
            PAPER,
        );
        let lid = crate::data::raster::arc(
            ex,
            l.eye_y + l.eye_ry * 0.2,
            l.eye_rx * 1.1,
            l.eye_ry * 1.25,
            200.0,
            340.0,
            6,
        );
        c.stroke(&lid, ol, INK);
        let lw = ol * (0.8 + 0.8 * a.brow_weight);
        let tilt = a.brow_angle * 0.025;
        c.stroke(
            &[
                (ex - s * l.eye_rx, l.brow_y + tilt),
                (ex + s * l.eye_rx, l.brow_y - tilt),
            ],
            lw,
            INK,
        );
        if a.glasses {
            c.ellipse_ring(ex, l.eye_y, l.eye_rx * 1.4, l.eye_rx * 1.15, ol * 0.8, INK);
        }
    }
    if a.glasses {
        c.stroke(&l.glasses_bridge(1.35), ol * 0.8, INK);
    }
    // nose: a hook
    let nl = l.nose_len;
    c.stroke(
        &[
            (l.cx + 0.005, l.nose_y - nl * 0.7),
            (l.cx - 0.02, l.nose_y),
            (l.cx + 0.015, l.nose_y + 0.008),
        ],
        hl,
        INK,
    );
    // mouth
    if a.mouth_open {
        let (mx, my, w, h) = (
            l.cx,
            l.mouth_y - 0.01,
            l.mouth_w * 0.85,
            0.045 + 0.02 * a.expression.max(0.0),
        );
        c.fill(ebox(mx, my, w, h), INK, |x, y| {
            ellipse(x - mx, y - my, w, h).max(my - y)
        });
    } else {
        c.stroke(&l.mouth_curve(a), ol * 0.9, INK);
    }
    c.clamp();
    c
}
