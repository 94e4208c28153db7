//! "photo": the same face lit and shaded: a cluttered, blurred background, skin shaded as
//! an ellipsoid under a random light with texture, eye sockets and nose shadows, natural
//! proportions (small eyes), camera blur and sensor noise.

use super::attributes::{Attributes, Layout};
use crate::data::raster::{Affine, Canvas, ebox, ellipse, hash01, mix, scale, value_noise};
use crate::data::source::item_rng;
use rand::Rng;

/// Lambert shading of a point on an ellipsoid bulge (nx, ny in -1..1) under light `l`.
fn shade(nx: f32, ny: f32, l: [f32; 3]) -> f32 {
    let r2 = (nx * nx + ny * ny).min(1.0);
    let nz = (1.0 - r2).sqrt();
    let d = (nx * l[0] + ny * l[1] + nz * l[2]).max(0.0);
    0.45 + 0.65 * d
}

pub fn draw(a: &Attributes, size: usize) -> Canvas {
    let l = Layout::new(a, 0.95);
    let ds = a.detail_seed;
    let mut r = item_rng(ds, 30, 0);
    // background: a gradient and blurred clutter of boxes and blobs
    let base = [r.random::<f32>(), r.random::<f32>(), r.random::<f32>()];
    let base = mix(base, [0.45, 0.42, 0.38], 0.6);
    let mut c = Canvas::new(size, size, base);
    let (gx, gy) = (r.random_range(-0.5..0.5f32), r.random_range(-0.5..0.5f32));
    c.fill_with(
        (0.0, 0.0, 1.0, 1.0),
        1.0,
        |_, _| -1.0,
        |x, y| scale(base, 1.0 + gx * (x - 0.5) + gy * (y - 0.5)),
    );
    for _ in 0..r.random_range(4..9) {
        let col = mix(
            [r.random::<f32>(), r.random::<f32>(), r.random::<f32>()],
            base,
            0.45,
        );
        let (x0, y0) = (r.random::<f32>(), r.random::<f32>());
        let (w, h) = (r.random_range(0.08..0.4f32), r.random_range(0.08..0.5f32));
        if r.random::<bool>() {
            c.fill((x0 - w, y0 - h, x0 + w, y0 + h), col, |x, y| {
                (x - x0).abs().max((y - y0).abs()) - w.min(h)
            });
        } else {
            c.ellipse(x0, y0, w, h, col);
        }
    }
    c.blur(size as f32 / 20.0);
    let light = {
        let (lx, ly) = (r.random_range(-0.7..0.7f32), r.random_range(-0.6..0.2f32));
        let lz = (1.0 - lx * lx - ly * ly).max(0.1).sqrt();
        [lx, ly, lz]
    };
    let skin = a.skin_rgb();
    let hair = a.hair_rgb();
    c.xf = Affine::unit(size, size).around(
        (l.cx, l.cy),
        a.tilt,
        0.0,
        1.15,
        (a.shift.0, a.shift.1 + 0.03),
    );
    let all = (-0.2, -0.2, 1.2, 1.2);
    // clothes and neck, shaded; shadow under the chin
    let cloth = mix(
        [r.random::<f32>(), r.random::<f32>(), r.random::<f32>()],
        [0.2; 3],
        0.3,
    );
    c.fill_with(
        all,
        1.0,
        |x, y| ellipse(x - 0.5, y - 1.12, 0.44, 0.27),
        |x, y| scale(cloth, shade((x - 0.5) / 0.44, (y - 1.12) / 0.27, light)),
    );
    c.fill_with(
        all,
        1.0,
        |x, y| (x - 0.5).abs().max((y - 0.84).abs()) - 0.07,
        |x, y| {
            scale(
                skin,
                0.55 + 0.25 * ((y - l.cy - l.ry) / 0.1).clamp(0.0, 1.0)
                    + 0.1 * (x - 0.5) * light[0],
            )
        },
    );
    // hair behind, with strands
    let strands = |x: f32, y: f32| 0.8 + 0.35 * value_noise(ds ^ 5, x * 60.0, y * 6.0);
    c.fill_with(
        all,
        1.0,
        |x, y| l.hair_back_sdf(a, x, y).unwrap_or(1.0),
        |x, y| scale(hair, 0.6 * strands(x, y)),
    );
    // head: ellipsoid shading, texture, warmer cheeks
    let tex = |x: f32, y: f32| 0.94 + 0.12 * value_noise(ds ^ 3, x * 40.0, y * 40.0);
    let face_col = |x: f32, y: f32| {
        let k = shade(
            (x - l.cx) / (l.rx * 1.05),
            (y - l.cy) / (l.ry * 1.05),
            light,
        ) * tex(x, y);
        scale(skin, k)
    };
    for s in [-1.0f32, 1.0] {
        let ex = l.cx + s * l.rx * 0.97;
        c.fill_with(
            ebox(ex, l.eye_y + 0.02, 0.04, 0.055),
            1.0,
            |x, y| ellipse(x - ex, y - l.eye_y - 0.02, 0.035, 0.05),
            |x, y| scale(face_col(x, y), 0.85),
        );
    }
    let hb = ebox(l.cx, l.cy, l.rx + 0.03, l.ry + 0.03);
    c.fill_with(hb, 1.0, |x, y| l.head_sdf(a.chin, x, y), face_col);
    if a.beard {
        c.fill_with(
            hb,
            0.85,
            |x, y| l.beard_sdf(a, x, y) + 0.005,
            |x, y| scale(hair, 0.7 * strands(x, y)),
        );
    }
    // soft shadows: eye sockets, nose side, under the lip
    let soft = |c: &mut Canvas, cx: f32, cy: f32, rx: f32, ry: f32, k: f32| {
        c.fill_with(
            ebox(cx, cy, rx * 1.6, ry * 1.6),
            1.0,
            |x, y| ellipse(x - cx, y - cy, rx * 1.5, ry * 1.5) - 0.0,
            |x, y| {
                let t = (ellipse(x - cx, y - cy, rx, ry) / (rx * 0.5)).clamp(0.0, 1.0);
                let here = face_col(x, y);
                mix(scale(here, k), here, t)
            },
        );
    };
    for s in [-1.0f32, 1.0] {
        soft(
            &mut c,
            l.cx + s * l.eye_dx,
            l.eye_y - 0.005,
            l.eye_rx * 1.4,
            l.eye_ry * 1.8 + 0.01,
            0.78,
        );
    }
    let ns = if light[0] > 0.0 { -1.0 } else { 1.0 };
    soft(
        &mut c,
        l.cx + ns * 0.02,
        l.nose_y - l.nose_len * 0.3,
        0.012,
        l.nose_len * 0.6,
        0.8,
    );
    soft(&mut c, l.cx, l.nose_y + 0.01, 0.03, 0.012, 0.7);
    // hair cap with strands and a highlight
    c.fill_with(
        all,
        1.0,
        |x, y| l.hair_cap_sdf(a, x, y),
        |x, y| {
            let hi = shade(
                (x - l.cx) / (l.rx * 1.2),
                (y - l.cy + 0.1) / (l.ry * 1.2),
                light,
            );
            scale(hair, hi * strands(x, y))
        },
    );
    // eyes: sclera, coloured iris, pupil, lid line
    let iris = mix(
        [0.3, 0.18, 0.08],
        [0.25, 0.45, 0.6],
        hash01(a.identity as u64, 7, 0),
    );
    for s in [-1.0f32, 1.0] {
        let ex = l.cx + s * l.eye_dx;
        c.ellipse(ex, l.eye_y, l.eye_rx, l.eye_ry * 0.9, [0.85, 0.82, 0.8]);
        let ir = l.eye_ry * 0.85;
        c.ellipse(ex, l.eye_y, ir, ir, iris);
        c.ellipse(ex, l.eye_y, ir * 0.45, ir * 0.45, [0.03; 3]);
        let lid = crate::data::raster::arc(
            ex,
            l.eye_y + l.eye_ry * 0.1,
            l.eye_rx * 1.05,
            l.eye_ry * 1.05,
            195.0,
            345.0,
            6,
        );
        c.stroke(&lid, 0.012, scale(skin, 0.3));
        let tilt = a.brow_angle * 0.02;
        c.stroke(
            &[
                (ex - s * l.eye_rx * 1.1, l.brow_y + tilt),
                (ex + s * l.eye_rx * 1.1, l.brow_y - tilt - 0.005),
            ],
            0.014 + 0.012 * a.brow_weight,
            scale(hair, 0.7),
        );
        if a.glasses {
            c.ellipse_ring(ex, l.eye_y, l.eye_rx * 1.7, l.eye_rx * 1.3, 0.01, [0.12; 3]);
        }
    }
    if a.glasses {
        c.stroke(&l.glasses_bridge(1.7), 0.01, [0.12; 3]);
    }
    // nostrils
    for s in [-1.0f32, 1.0] {
        c.ellipse(
            l.cx + s * 0.014,
            l.nose_y + 0.004,
            0.009,
            0.005,
            scale(skin, 0.35),
        );
    }
    // lips
    let lips = mix(scale(skin, 0.75), [0.7, 0.3, 0.3], 0.45);
    let curve = l.mouth_curve(a);
    if a.mouth_open {
        let (mx, my, w, h) = (
            l.cx,
            l.mouth_y - 0.005,
            l.mouth_w * 0.85,
            0.035 + 0.015 * a.expression.max(0.0),
        );
        c.ellipse(mx, my, w + 0.01, h + 0.01, lips);
        c.fill(ebox(mx, my, w, h), [0.25, 0.06, 0.06], |x, y| {
            ellipse(x - mx, y - my, w * 0.85, h * 0.7)
        });
        c.fill(ebox(mx, my, w, h), [0.9, 0.88, 0.82], |x, y| {
            ellipse(x - mx, y - my, w * 0.85, h * 0.7).max(y - my + h * 0.2)
        });
    } else {
        c.stroke(&curve, 0.028, lips);
        c.stroke(&curve, 0.008, scale(lips, 0.5));
    }
    c.xf = Affine::unit(size, size);
    // camera blur: about half a pixel at 32 px, a pixel at 152 px
    c.blur(0.5 + 0.004 * (size as f32 - 32.0).max(0.0));
    c.noise(0.025, ds ^ 11, false);
    c.clamp();
    c
}
