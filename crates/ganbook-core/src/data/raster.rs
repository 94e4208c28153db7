//! A tiny anti-aliased rasteriser for the procedural data sets: shapes are signed distance
//! functions in drawing units, filled with exact-enough coverage; plus blur and noise.
//!
//! Drawing coordinates are the unit square [0, 1]^2 (y down) mapped onto the canvas by an
//! affine transform, so one drawing serves every image size and head tilts or slants are a
//! change of transform. Colours are RGB in [0, 1]; pixels are stored planar [3, H, W].

/// An affine map from drawing coordinates to pixels: (a x + b y + c, d x + e y + f).
#[derive(Clone, Copy, Debug)]
pub struct Affine([f32; 6]);

impl Affine {
    /// The unit square onto a `w` x `h` canvas.
    pub fn unit(w: usize, h: usize) -> Affine {
        Affine([w as f32, 0.0, 0.0, 0.0, h as f32, 0.0])
    }

    /// This map after a rotation by `angle` (radians), a shear `slant` (x += slant * y) and a
    /// scale `s`, all about the drawing point `(cx, cy)`, then a shift `(dx, dy)`.
    pub fn around(
        self,
        (cx, cy): (f32, f32),
        angle: f32,
        slant: f32,
        s: f32,
        (dx, dy): (f32, f32),
    ) -> Affine {
        let (sn, cs) = angle.sin_cos();
        // local = R * Shear * S: x' = s*(cs*(x + slant*y) - sn*y), y' = s*(sn*(x + slant*y) + cs*y)
        let m = [s * cs, s * (cs * slant - sn), s * sn, s * (sn * slant + cs)];
        let tx = cx + dx - (m[0] * cx + m[1] * cy);
        let ty = cy + dy - (m[2] * cx + m[3] * cy);
        let [a, b, c, d, e, f] = self.0;
        Affine([
            a * m[0] + b * m[2],
            a * m[1] + b * m[3],
            a * tx + b * ty + c,
            d * m[0] + e * m[2],
            d * m[1] + e * m[3],
            d * tx + e * ty + f,
        ])
    }

    pub fn apply(&self, x: f32, y: f32) -> (f32, f32) {
        let [a, b, c, d, e, f] = self.0;
        (a * x + b * y + c, d * x + e * y + f)
    }

    fn inverse(&self) -> Affine {
        let [a, b, c, d, e, f] = self.0;
        let det = a * e - b * d;
        let (ia, ib, id, ie) = (e / det, -b / det, -d / det, a / det);
        Affine([ia, ib, -(ia * c + ib * f), id, ie, -(id * c + ie * f)])
    }

    /// Pixels per drawing unit (geometric mean of the axes).
    fn scale(&self) -> f32 {
        let [a, b, _, d, e, _] = self.0;
        (a * e - b * d).abs().sqrt()
    }
}

/// A box in drawing coordinates: (x0, y0, x1, y1).
pub type Rect = (f32, f32, f32, f32);

pub struct Canvas {
    pub w: usize,
    pub h: usize,
    /// Planar RGB [3, H, W] in [0, 1].
    pub px: Vec<f32>,
    pub xf: Affine,
}

impl Canvas {
    pub fn new(w: usize, h: usize, bg: [f32; 3]) -> Canvas {
        let mut px = vec![0.0; 3 * w * h];
        for (c, plane) in px.chunks_mut(w * h).enumerate() {
            plane.fill(bg[c]);
        }
        Canvas {
            w,
            h,
            px,
            xf: Affine::unit(w, h),
        }
    }

    /// Fills where `sdf(x, y) < 0` (drawing units) with `color(x, y)`, anti-aliased, at
    /// opacity `alpha`; only pixels whose centre maps into `bbox` (grown by a pixel) are visited.
    pub fn fill_with(
        &mut self,
        bbox: Rect,
        alpha: f32,
        sdf: impl Fn(f32, f32) -> f32,
        color: impl Fn(f32, f32) -> [f32; 3],
    ) {
        let inv = self.xf.inverse();
        let s = self.xf.scale();
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for (x, y) in [
            (bbox.0, bbox.1),
            (bbox.2, bbox.1),
            (bbox.0, bbox.3),
            (bbox.2, bbox.3),
        ] {
            let (px, py) = self.xf.apply(x, y);
            (x0, y0, x1, y1) = (x0.min(px), y0.min(py), x1.max(px), y1.max(py));
        }
        let clampi = |v: f32, hi: usize| (v.max(0.0) as usize).min(hi);
        let (ix0, ix1) = (clampi(x0 - 1.0, self.w), clampi(x1 + 2.0, self.w));
        let (iy0, iy1) = (clampi(y0 - 1.0, self.h), clampi(y1 + 2.0, self.h));
        let plane = self.w * self.h;
        for iy in iy0..iy1 {
            for ix in ix0..ix1 {
                let (x, y) = inv.apply(ix as f32 + 0.5, iy as f32 + 0.5);
                let cover = (0.5 - sdf(x, y) * s).clamp(0.0, 1.0) * alpha;
                if cover <= 0.0 {
                    continue;
                }
                let col = color(x, y);
                let k = iy * self.w + ix;
                for (c, v) in col.iter().enumerate() {
                    let p = &mut self.px[c * plane + k];
                    *p += (v - *p) * cover;
                }
            }
        }
    }

    pub fn fill(&mut self, bbox: Rect, color: [f32; 3], sdf: impl Fn(f32, f32) -> f32) {
        self.fill_with(bbox, 1.0, sdf, |_, _| color);
    }

    pub fn ellipse(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, color: [f32; 3]) {
        self.fill(ebox(cx, cy, rx, ry), color, |x, y| {
            ellipse(x - cx, y - cy, rx, ry)
        });
    }

    /// An ellipse outline of width `lw` centred on the ellipse.
    pub fn ellipse_ring(&mut self, cx: f32, cy: f32, rx: f32, ry: f32, lw: f32, color: [f32; 3]) {
        let b = ebox(cx, cy, rx + lw, ry + lw);
        self.fill(b, color, |x, y| {
            ellipse(x - cx, y - cy, rx, ry).abs() - lw / 2.0
        });
    }

    /// A thick polyline with round joins and caps.
    pub fn stroke(&mut self, pts: &[(f32, f32)], lw: f32, color: [f32; 3]) {
        self.fill(path_box(pts, lw), color, |x, y| {
            path_dist(pts, x, y) - lw / 2.0
        });
    }

    /// A filled polygon (even-odd rule).
    pub fn polygon(&mut self, pts: &[(f32, f32)], color: [f32; 3]) {
        self.fill(path_box(pts, 0.0), color, |x, y| polygon(pts, x, y));
    }

    /// A separable Gaussian blur of standard deviation `sigma` pixels.
    pub fn blur(&mut self, sigma: f32) {
        blur_planes(&mut self.px, self.w, self.h, sigma);
    }

    /// Adds Gaussian-ish noise (sum of two uniforms) of the given standard deviation per pixel
    /// and channel, from `hash` noise at `seed`.
    pub fn noise(&mut self, std: f32, seed: u64, mono: bool) {
        let plane = self.w * self.h;
        for (i, p) in self.px.iter_mut().enumerate() {
            let k = if mono { i % plane } else { i } as u64;
            let u = hash01(seed, k, 0) + hash01(seed, k, 1) - 1.0;
            *p += u * std * 2.45;
        }
    }

    /// Clamps every value to [0, 1].
    pub fn clamp(&mut self) {
        self.px.iter_mut().for_each(|p| *p = p.clamp(0.0, 1.0));
    }

    /// The luminance plane [H, W].
    pub fn gray(&self) -> Vec<f32> {
        let n = self.w * self.h;
        (0..n)
            .map(|k| 0.299 * self.px[k] + 0.587 * self.px[n + k] + 0.114 * self.px[2 * n + k])
            .collect()
    }
}

/// The bounding box of an ellipse.
pub fn ebox(cx: f32, cy: f32, rx: f32, ry: f32) -> Rect {
    (cx - rx, cy - ry, cx + rx, cy + ry)
}

/// Approximate signed distance to an axis-aligned ellipse with radii (rx, ry) at the origin.
pub fn ellipse(x: f32, y: f32, rx: f32, ry: f32) -> f32 {
    let (u, v) = (x / rx, y / ry);
    let k0 = (u * u + v * v).sqrt();
    let k1 = ((u / rx).powi(2) + (v / ry).powi(2)).sqrt();
    if k1 < 1e-9 {
        -rx.min(ry)
    } else {
        k0 * (k0 - 1.0) / k1
    }
}

/// Distance from (x, y) to the segment a-b.
pub fn seg_dist(a: (f32, f32), b: (f32, f32), x: f32, y: f32) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let (px, py) = (x - a.0, y - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        ((px * dx + py * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    ((px - t * dx).powi(2) + (py - t * dy).powi(2)).sqrt()
}

/// Distance from (x, y) to a polyline.
pub fn path_dist(pts: &[(f32, f32)], x: f32, y: f32) -> f32 {
    if pts.len() == 1 {
        return seg_dist(pts[0], pts[0], x, y);
    }
    pts.windows(2)
        .map(|w| seg_dist(w[0], w[1], x, y))
        .fold(f32::MAX, f32::min)
}

/// Signed distance to a closed polygon (negative inside, even-odd rule).
pub fn polygon(pts: &[(f32, f32)], x: f32, y: f32) -> f32 {
    let n = pts.len();
    let mut d = f32::MAX;
    let mut inside = false;
    for i in 0..n {
        let (a, b) = (pts[i], pts[(i + 1) % n]);
        d = d.min(seg_dist(a, b, x, y));
        if (a.1 > y) != (b.1 > y) && x < a.0 + (y - a.1) * (b.0 - a.0) / (b.1 - a.1) {
            inside = !inside;
        }
    }
    if inside { -d } else { d }
}

/// The bounding box of points, grown by `pad`.
pub fn path_box(pts: &[(f32, f32)], pad: f32) -> Rect {
    let mut b = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
    for &(x, y) in pts {
        b = (b.0.min(x), b.1.min(y), b.2.max(x), b.3.max(y));
    }
    (b.0 - pad, b.1 - pad, b.2 + pad, b.3 + pad)
}

/// Points along an elliptical arc from angle `a0` to `a1` (degrees; 0 = right, 90 = down).
pub fn arc(cx: f32, cy: f32, rx: f32, ry: f32, a0: f32, a1: f32, n: usize) -> Vec<(f32, f32)> {
    (0..=n)
        .map(|i| {
            let a = (a0 + (a1 - a0) * i as f32 / n as f32).to_radians();
            (cx + rx * a.cos(), cy + ry * a.sin())
        })
        .collect()
}

/// Points along a quadratic Bezier curve.
pub fn quad(p0: (f32, f32), p1: (f32, f32), p2: (f32, f32), n: usize) -> Vec<(f32, f32)> {
    (0..=n)
        .map(|i| {
            let t = i as f32 / n as f32;
            let (a, b, c) = ((1.0 - t) * (1.0 - t), 2.0 * t * (1.0 - t), t * t);
            (
                a * p0.0 + b * p1.0 + c * p2.0,
                a * p0.1 + b * p1.1 + c * p2.1,
            )
        })
        .collect()
}

/// A hash of (seed, a, b) to [0, 1).
pub fn hash01(seed: u64, a: u64, b: u64) -> f32 {
    let mut z =
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 40) as f32 / (1u64 << 24) as f32
}

/// Smooth value noise in [0, 1] at (x, y), with lattice spacing 1.
pub fn value_noise(seed: u64, x: f32, y: f32) -> f32 {
    let (fx, fy) = (x.floor(), y.floor());
    let (tx, ty) = (x - fx, y - fy);
    let (sx, sy) = (tx * tx * (3.0 - 2.0 * tx), ty * ty * (3.0 - 2.0 * ty));
    let (ix, iy) = (fx as i64 as u64, fy as i64 as u64);
    let h = |dx: u64, dy: u64| hash01(seed, ix.wrapping_add(dx), iy.wrapping_add(dy));
    let top = h(0, 0) + (h(1, 0) - h(0, 0)) * sx;
    let bot = h(0, 1) + (h(1, 1) - h(0, 1)) * sx;
    top + (bot - top) * sy
}

/// Blurs each `w` x `h` plane of `px` with a Gaussian of `sigma` pixels.
pub fn blur_planes(px: &mut [f32], w: usize, h: usize, sigma: f32) {
    if sigma <= 0.05 {
        return;
    }
    let r = (sigma * 2.5).ceil() as isize;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let sum: f32 = k.iter().sum();
    let k: Vec<f32> = k.iter().map(|v| v / sum).collect();
    let mut tmp = vec![0.0; w * h];
    for plane in px.chunks_mut(w * h) {
        for y in 0..h {
            for x in 0..w {
                let mut acc = 0.0;
                for (j, kv) in k.iter().enumerate() {
                    let xx = (x as isize + j as isize - r).clamp(0, w as isize - 1) as usize;
                    acc += kv * plane[y * w + xx];
                }
                tmp[y * w + x] = acc;
            }
        }
        for y in 0..h {
            for x in 0..w {
                let mut acc = 0.0;
                for (j, kv) in k.iter().enumerate() {
                    let yy = (y as isize + j as isize - r).clamp(0, h as isize - 1) as usize;
                    acc += kv * tmp[yy * w + x];
                }
                plane[y * w + x] = acc;
            }
        }
    }
}

/// Linear interpolation between two colours.
pub fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

/// A colour scaled by `k`.
pub fn scale(c: [f32; 3], k: f32) -> [f32; 3] {
    [c[0] * k, c[1] * k, c[2] * k]
}

/// Luminance of a colour.
pub fn luma(c: [f32; 3]) -> f32 {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]
}
