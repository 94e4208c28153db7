//! The attribute vector every face style draws from, and the geometry derived from it.
//!
//! An identity fixes the lasting traits (face shape, skin, hair, eyes, nose, glasses, beard);
//! each image adds small variation (expression, tilt, position, background). The same seed
//! and index give the same attributes whatever the style.

use crate::data::source::item_rng;
use rand::Rng;

pub const SKIN: [[f32; 3]; 5] = [
    [0.99, 0.87, 0.77],
    [0.94, 0.75, 0.61],
    [0.80, 0.58, 0.42],
    [0.58, 0.39, 0.26],
    [0.38, 0.25, 0.17],
];
pub const HAIR: [[f32; 3]; 5] = [
    [0.08, 0.07, 0.07],
    [0.33, 0.2, 0.11],
    [0.86, 0.72, 0.42],
    [0.68, 0.28, 0.12],
    [0.72, 0.72, 0.72],
];
pub const HAIR_STYLES: usize = 6;

#[derive(Clone, Debug, PartialEq)]
pub struct Attributes {
    pub identity: usize,
    /// Face width and length, 0..1.
    pub face_width: f32,
    pub face_length: f32,
    /// Chin: 0 round .. 1 pointed.
    pub chin: f32,
    /// Skin tone 0 (light) .. 1 (dark).
    pub skin: f32,
    /// 0 buzz, 1 short, 2 side part, 3 long, 4 bob, 5 curly.
    pub hair_style: usize,
    /// Index into [`HAIR`]: black, brown, blond, red, grey.
    pub hair_color: usize,
    /// 0 round .. 1 narrow.
    pub eye_shape: f32,
    pub eye_size: f32,
    pub eye_spacing: f32,
    pub brow_weight: f32,
    pub brow_angle: f32,
    pub nose: f32,
    pub mouth_width: f32,
    /// -1 frown .. 1 smile.
    pub expression: f32,
    pub mouth_open: bool,
    pub glasses: bool,
    pub beard: bool,
    /// Head tilt in radians.
    pub tilt: f32,
    /// Head position jitter in drawing units.
    pub shift: (f32, f32),
    /// Background colour/texture choice, 0..1.
    pub background: f32,
    /// The image's own seed for style details (textures, noise).
    pub detail_seed: u64,
}

impl Attributes {
    /// Attributes of image `i`: identity `i`'s own traits when `identities` is 0, otherwise
    /// the traits of identity (hash of i) mod `identities`.
    pub fn of(seed: u64, identities: usize, i: usize) -> Attributes {
        let id = if identities == 0 {
            i
        } else {
            item_rng(seed, 20, i as u64).random_range(0..identities)
        };
        let mut r = item_rng(seed, 21, id as u64);
        let u = |r: &mut rand::rngs::StdRng| r.random::<f32>();
        let hair_style = r.random_range(0..HAIR_STYLES);
        let hair_color = r.random_range(0..HAIR.len());
        let mut a = Attributes {
            identity: id,
            face_width: u(&mut r),
            face_length: u(&mut r),
            chin: u(&mut r),
            skin: u(&mut r),
            hair_style,
            hair_color,
            eye_shape: u(&mut r),
            eye_size: u(&mut r),
            eye_spacing: u(&mut r),
            brow_weight: u(&mut r),
            brow_angle: u(&mut r) * 2.0 - 1.0,
            nose: u(&mut r),
            mouth_width: u(&mut r),
            expression: u(&mut r) * 2.0 - 1.0,
            mouth_open: u(&mut r) < 0.25,
            glasses: u(&mut r) < 0.25,
            beard: u(&mut r) < 0.2,
            tilt: 0.0,
            shift: (0.0, 0.0),
            background: 0.0,
            detail_seed: 0,
        };
        // per image: small variation around the identity
        let mut v = item_rng(seed, 22, i as u64);
        let mut jit = |x: &mut f32, amp: f32, lo: f32, hi: f32| {
            *x = (*x + v.random_range(-amp..amp)).clamp(lo, hi);
        };
        jit(&mut a.expression, 0.35, -1.0, 1.0);
        jit(&mut a.brow_angle, 0.2, -1.0, 1.0);
        jit(&mut a.eye_size, 0.08, 0.0, 1.0);
        a.tilt = v.random_range(-0.18..0.18);
        a.shift = (v.random_range(-0.035..0.035), v.random_range(-0.03..0.03));
        a.background = v.random();
        a.detail_seed = v.random();
        if v.random::<f32>() < 0.1 {
            a.mouth_open = !a.mouth_open;
        }
        a
    }

    /// The attributes as numbers, in the order of [`NAMES`].
    pub fn to_vec(&self) -> Vec<f32> {
        let b = |x: bool| if x { 1.0 } else { 0.0 };
        vec![
            self.identity as f32,
            self.face_width,
            self.face_length,
            self.chin,
            self.skin,
            self.hair_style as f32,
            self.hair_color as f32,
            self.eye_shape,
            self.eye_size,
            self.eye_spacing,
            self.brow_weight,
            self.brow_angle,
            self.nose,
            self.mouth_width,
            self.expression,
            b(self.mouth_open),
            b(self.glasses),
            b(self.beard),
            self.tilt,
            self.background,
        ]
    }

    pub fn skin_rgb(&self) -> [f32; 3] {
        let t = self.skin * (SKIN.len() - 1) as f32;
        let k = (t as usize).min(SKIN.len() - 2);
        crate::data::raster::mix(SKIN[k], SKIN[k + 1], t - k as f32)
    }

    pub fn hair_rgb(&self) -> [f32; 3] {
        HAIR[self.hair_color]
    }
}

pub const NAMES: &[&str] = &[
    "identity",
    "face_width",
    "face_length",
    "chin",
    "skin",
    "hair_style",
    "hair_color",
    "eye_shape",
    "eye_size",
    "eye_spacing",
    "brow_weight",
    "brow_angle",
    "nose",
    "mouth_width",
    "expression",
    "mouth_open",
    "glasses",
    "beard",
    "tilt",
    "background",
];

/// Where the parts of a face go, in drawing units (head upright; tilt is applied by the
/// canvas transform).
#[derive(Clone, Debug)]
pub struct Layout {
    pub cx: f32,
    pub cy: f32,
    pub rx: f32,
    pub ry: f32,
    pub eye_y: f32,
    pub eye_dx: f32,
    pub eye_rx: f32,
    pub eye_ry: f32,
    pub brow_y: f32,
    pub nose_y: f32,
    pub nose_len: f32,
    pub mouth_y: f32,
    pub mouth_w: f32,
}

impl Layout {
    /// The bridge of a pair of glasses: from the inner edge of the left lens to that of the
    /// right one, for lenses `lens` eye-widths wide.
    pub fn glasses_bridge(&self, lens: f32) -> [(f32, f32); 2] {
        [
            (self.cx - self.eye_dx + self.eye_rx * lens, self.eye_y),
            (self.cx + self.eye_dx - self.eye_rx * lens, self.eye_y),
        ]
    }

    /// `eye_scale` enlarges the eyes (cartoon styles draw them big).
    pub fn new(a: &Attributes, eye_scale: f32) -> Layout {
        let (cx, cy) = (0.5, 0.5);
        let rx = 0.215 + 0.06 * a.face_width;
        let ry = 0.27 + 0.05 * a.face_length;
        let eye_y = cy + 0.02;
        let eye_rx = (0.04 + 0.02 * a.eye_size) * eye_scale;
        let eye_ry = eye_rx * (0.85 - 0.4 * a.eye_shape);
        Layout {
            cx,
            cy,
            rx,
            ry,
            eye_y,
            eye_dx: rx * (0.36 + 0.14 * a.eye_spacing),
            eye_rx,
            eye_ry,
            brow_y: eye_y - eye_ry - 0.035 - 0.01 * eye_scale,
            nose_y: cy + ry * 0.33,
            nose_len: 0.05 + 0.04 * a.nose,
            mouth_y: cy + ry * 0.6,
            mouth_w: rx * (0.32 + 0.22 * a.mouth_width),
        }
    }

    /// Signed distance to the head: an ellipse whose lower half narrows toward the chin.
    pub fn head_sdf(&self, chin: f32, x: f32, y: f32) -> f32 {
        let dy = y - self.cy;
        let narrow = if dy > 0.0 {
            1.0 - 0.22 * chin * (dy / self.ry).powi(2)
        } else {
            1.0
        };
        crate::data::raster::ellipse(x - self.cx, dy, self.rx * narrow, self.ry)
    }

    /// The y of the hairline at x (hair is above it): low at the temples, high in the middle.
    pub fn hairline(&self, a: &Attributes, x: f32) -> f32 {
        let u = (x - self.cx) / self.rx;
        let (base, side) = match a.hair_style {
            0 => (self.cy - self.ry * 0.62, 0.0),
            2 => (self.cy - self.ry * 0.5, 0.25),
            4 => (self.cy - self.ry * 0.32, 0.0),
            5 => (self.cy - self.ry * 0.55, 0.0),
            _ => (self.cy - self.ry * 0.5, 0.0),
        };
        base + self.ry * (0.35 * u * u + side * u)
    }

    /// Signed distance to the hair on top of the head (cap above the hairline).
    pub fn hair_cap_sdf(&self, a: &Attributes, x: f32, y: f32) -> f32 {
        let (grow, lift) = match a.hair_style {
            0 => (1.02, 0.0),
            5 => (1.3, 0.05),
            2 => (1.1, 0.02),
            _ => (1.08, 0.015),
        };
        let mut d = crate::data::raster::ellipse(
            x - self.cx,
            y - (self.cy - lift),
            self.rx * grow,
            self.ry * (grow * 0.5 + 0.5) + lift,
        );
        if a.hair_style == 5 {
            let ang = (y - self.cy).atan2(x - self.cx);
            d += 0.012 * (ang * 14.0).sin();
        }
        d.max(y - self.hairline(a, x))
    }

    /// Signed distance to hair that falls behind the head (long hair, bob), or None.
    pub fn hair_back_sdf(&self, a: &Attributes, x: f32, y: f32) -> Option<f32> {
        let (w, bottom) = match a.hair_style {
            3 => (self.rx * 1.22, self.cy + self.ry * 1.35),
            4 => (self.rx * 1.18, self.cy + self.ry * 0.75),
            5 => (self.rx * 1.25, self.cy + self.ry * 0.5),
            _ => return None,
        };
        let top = self.cy - self.ry * 1.05;
        let hy = (bottom - top) / 2.0;
        let d = crate::data::raster::ellipse(x - self.cx, y - (top + hy), w, hy * 1.15);
        Some(d.max(y - bottom))
    }

    /// Signed distance to a beard: the head below the mouth's upper lip line, minus the mouth.
    pub fn beard_sdf(&self, a: &Attributes, x: f32, y: f32) -> f32 {
        let head = self.head_sdf(a.chin, x, y) - 0.01;
        let top = self.nose_y + 0.02 + 0.05 * ((x - self.cx) / self.rx).powi(2);
        let mouth =
            crate::data::raster::ellipse(x - self.cx, y - self.mouth_y, self.mouth_w * 1.05, 0.025);
        head.max(top - y).max(-mouth)
    }

    /// The mouth's centre line: a curve through the corners bending by the expression.
    pub fn mouth_curve(&self, a: &Attributes) -> Vec<(f32, f32)> {
        let bend = -a.expression * 0.05;
        crate::data::raster::quad(
            (self.cx - self.mouth_w, self.mouth_y + bend * 0.4),
            (self.cx, self.mouth_y - bend * 1.2),
            (self.cx + self.mouth_w, self.mouth_y + bend * 0.4),
            8,
        )
    }
}
