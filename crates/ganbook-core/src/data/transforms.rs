//! Image transforms on planar f32 images [C, H, W]: crops, resize (bilinear when enlarging,
//! area averaging when shrinking, per axis), grayscale.

use crate::bail;
use crate::error::Result;

/// A planar image: `c` channels of `h` x `w` values.
#[derive(Clone, Debug, PartialEq)]
pub struct Planar {
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub v: Vec<f32>,
}

impl Planar {
    /// The box (x, y, w, h), which must lie inside the image.
    pub fn crop(&self, x: usize, y: usize, w: usize, h: usize) -> Result<Planar> {
        if w == 0 || h == 0 || x + w > self.w || y + h > self.h {
            bail!(
                "crop [{x}, {y}, {w}, {h}] does not fit in a {}x{} image",
                self.w,
                self.h
            );
        }
        let mut v = Vec::with_capacity(self.c * w * h);
        for ch in 0..self.c {
            for row in y..y + h {
                let start = ch * self.h * self.w + row * self.w + x;
                v.extend_from_slice(&self.v[start..start + w]);
            }
        }
        Ok(Planar { c: self.c, h, w, v })
    }

    /// The centred square of side `side` (clamped to the shorter side).
    pub fn center_crop(&self, side: usize) -> Planar {
        let s = side.min(self.w).min(self.h).max(1);
        self.crop((self.w - s) / 2, (self.h - s) / 2, s, s)
            .expect("a centred crop fits")
    }

    /// Resized to `h` x `w`.
    pub fn resize(&self, h: usize, w: usize) -> Planar {
        if (h, w) == (self.h, self.w) {
            return self.clone();
        }
        let wx = weights(self.w, w);
        let wy = weights(self.h, h);
        let mut tmp = vec![0.0; self.c * self.h * w];
        for ch in 0..self.c {
            for y in 0..self.h {
                let src = &self.v[(ch * self.h + y) * self.w..][..self.w];
                let dst = &mut tmp[(ch * self.h + y) * w..][..w];
                for (x, taps) in wx.iter().enumerate() {
                    dst[x] = taps.iter().map(|&(i, k)| src[i] * k).sum();
                }
            }
        }
        let mut v = vec![0.0; self.c * h * w];
        for ch in 0..self.c {
            for (y, taps) in wy.iter().enumerate() {
                for x in 0..w {
                    v[(ch * h + y) * w + x] = taps
                        .iter()
                        .map(|&(i, k)| tmp[(ch * self.h + i) * w + x] * k)
                        .sum();
                }
            }
        }
        Planar { c: self.c, h, w, v }
    }

    /// One luminance channel (a 1-channel image is returned as is).
    pub fn grayscale(&self) -> Planar {
        if self.c == 1 {
            return self.clone();
        }
        let n = self.h * self.w;
        let v = (0..n)
            .map(|k| 0.299 * self.v[k] + 0.587 * self.v[n + k] + 0.114 * self.v[2 * n + k])
            .collect();
        Planar {
            c: 1,
            h: self.h,
            w: self.w,
            v,
        }
    }

    /// Three channels (gray repeated).
    pub fn rgb(&self) -> Planar {
        if self.c == 3 {
            return self.clone();
        }
        let v = self.v.repeat(3);
        Planar {
            c: 3,
            h: self.h,
            w: self.w,
            v,
        }
    }
}

/// For each output pixel along an axis of `n_in` -> `n_out`, its input taps and weights:
/// bilinear (half-pixel centres) when enlarging, exact area coverage when shrinking.
fn weights(n_in: usize, n_out: usize) -> Vec<Vec<(usize, f32)>> {
    let ratio = n_in as f64 / n_out as f64;
    (0..n_out)
        .map(|o| {
            if n_out >= n_in {
                let x = ((o as f64 + 0.5) * ratio - 0.5).clamp(0.0, (n_in - 1) as f64);
                let i0 = x.floor() as usize;
                let i1 = (i0 + 1).min(n_in - 1);
                let t = (x - i0 as f64) as f32;
                vec![(i0, 1.0 - t), (i1, t)]
            } else {
                let (a, b) = (o as f64 * ratio, (o + 1) as f64 * ratio);
                let mut taps = Vec::new();
                let mut i = a.floor() as usize;
                while (i as f64) < b && i < n_in {
                    let cover = (b.min(i as f64 + 1.0) - a.max(i as f64)) / ratio;
                    if cover > 0.0 {
                        taps.push((i, cover as f32));
                    }
                    i += 1;
                }
                taps
            }
        })
        .collect()
}
