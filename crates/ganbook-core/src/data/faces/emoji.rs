//! "emoji": a flat-coloured, Bitmoji-like avatar: pastel background, shirt, flat skin and
//! hair with a thin darker outline, big eyes with white and iris, blush, simple mouth.

use super::attributes::{Attributes, Layout};
use crate::data::raster::{Affine, Canvas, ebox, ellipse, hash01, mix, scale};

const PASTELS: [[f32; 3]; 6] = [
    [0.62, 0.82, 0.96],
    [0.98, 0.80, 0.55],
    [0.72, 0.90, 0.70],
    [0.95, 0.70, 0.78],
    [0.82, 0.75, 0.95],
    [0.98, 0.95, 0.60],
];

pub fn draw(a: &Attributes, size: usize) -> Canvas {
    let l = Layout::new(a, 1.45);
    let bg = PASTELS[(a.background * PASTELS.len() as f32) as usize % PASTELS.len()];
    let mut c = Canvas::new(size, size, bg);
    let skin = a.skin_rgb();
    let line = scale(skin, 0.55);
    let hair = a.hair_rgb();
    let hair_line = scale(hair, 0.6);
    let shirt = [
        hash01(a.identity as u64, 1, 0),
        hash01(a.identity as u64, 2, 0),
        hash01(a.identity as u64, 3, 0),
    ];
    let ol = 0.012;
    c.xf = Affine::unit(size, size).around((l.cx, l.cy), a.tilt * 0.6, 0.0, 1.0, a.shift);
    // shirt and neck
    c.ellipse(0.5, 1.1, 0.4, 0.24, scale(shirt, 0.7));
    c.ellipse(0.5, 1.1, 0.4 - ol, 0.24 - ol, shirt);
    c.fill((0.4, 0.7, 0.6, 0.92), scale(skin, 0.85), |x, y| {
        (x - 0.5).abs().max((y - 0.82).abs()) - 0.075
    });
    // hair behind
    c.fill((0.0, 0.0, 1.0, 1.0), hair_line, |x, y| {
        l.hair_back_sdf(a, x, y).unwrap_or(1.0) - ol
    });
    c.fill((0.0, 0.0, 1.0, 1.0), hair, |x, y| {
        l.hair_back_sdf(a, x, y).unwrap_or(1.0)
    });
    // ears and head, outlined
    for s in [-1.0f32, 1.0] {
        c.ellipse(
            l.cx + s * l.rx * 0.98,
            l.eye_y + 0.02,
            0.04 + ol,
            0.055 + ol,
            line,
        );
        c.ellipse(l.cx + s * l.rx * 0.98, l.eye_y + 0.02, 0.04, 0.055, skin);
    }
    let hb = ebox(l.cx, l.cy, l.rx + 0.02, l.ry + 0.02);
    c.fill(hb, line, |x, y| l.head_sdf(a.chin, x, y) - ol);
    c.fill(hb, skin, |x, y| l.head_sdf(a.chin, x, y));
    // beard
    if a.beard {
        c.fill(hb, hair, |x, y| l.beard_sdf(a, x, y));
    }
    // hair cap
    c.fill((0.0, 0.0, 1.0, 1.0), hair_line, |x, y| {
        l.hair_cap_sdf(a, x, y) - ol
    });
    c.fill((0.0, 0.0, 1.0, 1.0), hair, |x, y| l.hair_cap_sdf(a, x, y));
    // blush
    for s in [-1.0f32, 1.0] {
        let (bx, by) = (l.cx + s * (l.eye_dx + 0.02), l.nose_y + 0.01);
        c.fill_with(
            ebox(bx, by, 0.05, 0.03),
            0.35,
            |x, y| ellipse(x - bx, y - by, 0.045, 0.025),
            |_, _| [0.95, 0.45, 0.45],
        );
    }
    // eyes: white, iris, lid
    let iris = mix(
        [0.2, 0.12, 0.05],
        [0.1, 0.3, 0.5],
        hash01(a.identity as u64, 7, 0),
    );
    for s in [-1.0f32, 1.0] {
        let ex = l.cx + s * l.eye_dx;
        c.ellipse(ex, l.eye_y, l.eye_rx + ol, l.eye_ry + ol, [0.15, 0.1, 0.1]);
        c.ellipse(ex, l.eye_y, l.eye_rx, l.eye_ry, [1.0; 3]);
        let ir = l.eye_ry.min(l.eye_rx) * 0.85;
        c.ellipse(ex, l.eye_y + 0.003, ir, ir, iris);
        c.ellipse(ex, l.eye_y + 0.003, ir * 0.5, ir * 0.5, [0.02; 3]);
        c.ellipse(
            ex + ir * 0.35,
            l.eye_y - ir * 0.35,
            ir * 0.25,
            ir * 0.25,
            [1.0; 3],
        );
        // brow
        let lw = 0.02 + 0.015 * a.brow_weight;
        let tilt = a.brow_angle * 0.025;
        c.stroke(
            &[
                (ex - s * l.eye_rx * 0.9, l.brow_y + tilt),
                (ex + s * l.eye_rx * 0.9, l.brow_y - tilt),
            ],
            lw,
            hair_line,
        );
        if a.glasses {
            c.ellipse_ring(
                ex,
                l.eye_y,
                l.eye_rx * 1.35,
                l.eye_rx * 1.15,
                0.018,
                [0.1; 3],
            );
        }
    }
    if a.glasses {
        c.stroke(&l.glasses_bridge(1.3), 0.015, [0.1; 3]);
    }
    // nose: a small curve
    let nl = l.nose_len * 0.5;
    c.stroke(
        &[
            (l.cx - 0.015, l.nose_y - nl * 0.2),
            (l.cx, l.nose_y + 0.01),
            (l.cx + 0.02, l.nose_y),
        ],
        0.014,
        line,
    );
    // mouth
    let curve = l.mouth_curve(a);
    if a.mouth_open {
        let (mx, my) = (l.cx, l.mouth_y - 0.01);
        let (w, h) = (l.mouth_w * 0.9, 0.045 + 0.02 * a.expression.max(0.0));
        let b = ebox(mx, my, w, h);
        c.fill(b, [0.45, 0.08, 0.1], |x, y| {
            ellipse(x - mx, y - my, w, h).max(my - y)
        });
        c.fill(b, [1.0; 3], |x, y| {
            ellipse(x - mx, y - my, w, h)
                .max(my - y)
                .max(y - my - h * 0.35)
        });
    } else {
        c.stroke(&curve, 0.02, [0.55, 0.15, 0.15]);
    }
    c.clamp();
    c
}
