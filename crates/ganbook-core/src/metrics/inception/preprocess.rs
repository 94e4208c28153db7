//! Images as pytorch-fid feeds them to Inception-v3: 3 channels, bilinearly resized to
//! 299x299 (`F.interpolate(..., mode='bilinear', align_corners=False)`, no antialiasing),
//! values in [-1, 1].
//!
//! pytorch-fid takes images in [0, 1] and computes `2 * resize(x01) - 1`. ganbook's images
//! are in [-1, 1], i.e. `x = 2 * x01 - 1`; since bilinear weights sum to 1,
//! `2 * resize(x01) - 1 = resize(2 * x01 - 1) = resize(x)`. So ganbook resizes its images as
//! they are, and its features equal pytorch-fid's for the images `x01 = (x + 1) / 2`.
//! One-channel images are repeated to three, as pytorch-fid's `convert('RGB')` does.

use crate::bail;
use crate::error::Result;
use burn::tensor::Tensor;
use burn::tensor::module::interpolate;
use burn::tensor::ops::{InterpolateMode, InterpolateOptions};

/// Inception-v3's input size.
pub const SIZE: usize = 299;

/// Checks `[n, c, h, w]` with c = 1 or 3.
pub fn check_images(shape: &[usize], what: &str) -> Result<()> {
    match shape {
        [n, c, h, w] if *n > 0 && (*c == 1 || *c == 3) && *h > 0 && *w > 0 => Ok(()),
        _ => {
            bail!("{what}: expects images [n, 1 or 3, h, w] with values in [-1, 1], got {shape:?}")
        }
    }
}

/// Bilinear resize with PyTorch's `align_corners=False`: [N, C, H, W] -> [N, C, h, w].
pub fn resize_bilinear(x: Tensor<4>, size: [usize; 2]) -> Tensor<4> {
    let [_, _, h, w] = x.dims();
    if [h, w] == size {
        return x; // PyTorch's resize to the same size is the identity too
    }
    let opts = InterpolateOptions::new(InterpolateMode::Bilinear)
        .with_align_corners(false)
        .with_output_size(size);
    interpolate(x, opts)
}

/// Images [n, 1 or 3, h, w] in [-1, 1] -> the network's input [n, 3, 299, 299].
pub fn preprocess(x: Tensor<4>) -> Tensor<4> {
    let [n, c, h, w] = x.dims();
    let x = if c == 1 { x.expand([n, 3, h, w]) } else { x };
    resize_bilinear(x, [SIZE, SIZE])
}
