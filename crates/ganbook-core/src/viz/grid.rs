//! A batch of images [N, C, H, W] (C = 1 or 3) as one PNG grid, scaled up with nearest
//! neighbour when the images are small so that a 32x32 grid is viewable.

use crate::bail;
use crate::error::Result;
use crate::tensor::DynTensor;
use image::{Rgb, RgbImage};
use std::path::Path;

#[derive(Clone, Debug, PartialEq)]
pub struct GridOptions {
    /// Images per row (default: about the square root of N).
    pub nrow: Option<usize>,
    /// Pixels between images (before scaling).
    pub padding: usize,
    /// Values mapped to black and white (default [-1, 1], the range of a tanh generator).
    pub range: (f64, f64),
    /// Each image is scaled up by a whole factor until it is at least this many pixels tall.
    pub min_tile: usize,
}

impl Default for GridOptions {
    fn default() -> Self {
        GridOptions {
            nrow: None,
            padding: 2,
            range: (-1.0, 1.0),
            min_tile: 64,
        }
    }
}

/// Renders the grid as an image.
pub fn render(t: &DynTensor, opts: &GridOptions) -> Result<RgbImage> {
    let shape = t.shape();
    let &[n, c, h, w] = shape.as_slice() else {
        bail!("grid expects images [N, C, H, W], got {shape:?}");
    };
    if c != 1 && c != 3 {
        bail!("grid expects 1 or 3 channels, got {c} (shape {shape:?})");
    }
    let (lo, hi) = opts.range;
    if hi <= lo {
        bail!("grid range must be [low, high] with low < high, got [{lo}, {hi}]");
    }
    let values = t.to_vec();
    let nrow = opts
        .nrow
        .unwrap_or_else(|| (n as f64).sqrt().ceil() as usize)
        .clamp(1, n);
    let rows = n.div_ceil(nrow);
    let scale = opts.min_tile.div_ceil(h).max(1);
    let pad = opts.padding;
    let (tw, th) = (w * scale, h * scale);
    let width = nrow * (tw + pad) + pad;
    let height = rows * (th + pad) + pad;
    let mut img = RgbImage::from_pixel(width as u32, height as u32, Rgb([32, 32, 32]));
    let to_byte = |v: f32| (((v as f64 - lo) / (hi - lo)).clamp(0.0, 1.0) * 255.0).round() as u8;
    for k in 0..n {
        let (ox, oy) = (pad + (k % nrow) * (tw + pad), pad + (k / nrow) * (th + pad));
        let base = k * c * h * w;
        for y in 0..th {
            for x in 0..tw {
                let (sy, sx) = (y / scale, x / scale);
                let px = |ch: usize| to_byte(values[base + ch * h * w + sy * w + sx]);
                let rgb = if c == 1 {
                    [px(0); 3]
                } else {
                    [px(0), px(1), px(2)]
                };
                img.put_pixel((ox + x) as u32, (oy + y) as u32, Rgb(rgb));
            }
        }
    }
    Ok(img)
}

/// Writes the grid to `path` as PNG (atomically: a reader never sees half a file).
pub fn save(t: &DynTensor, path: &Path, opts: &GridOptions) -> Result<()> {
    super::save_png(&render(t, opts)?, path).map(drop)
}
