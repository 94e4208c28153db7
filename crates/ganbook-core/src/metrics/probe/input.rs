//! Images as the probe sees them: [n, c, s, s] with the probe's channels and size.
//! Channels: RGB to grey by luminance (0.299, 0.587, 0.114, as the data sets do), grey to
//! RGB by repetition. Size: an average over k x k blocks when the image is k times the
//! probe's size, otherwise bilinear resampling (half-pixel centres).

use crate::bail;
use crate::error::Result;
use crate::tensor::{BinOp, DynTensor};
use burn::tensor::module::{avg_pool2d, interpolate};
use burn::tensor::ops::{AvgPoolOptions, InterpolateMode, InterpolateOptions};

/// `images` [n, 1 or 3, h, w] in [-1, 1] -> [n, channels, size, size].
pub fn prepare(images: DynTensor, channels: usize, size: usize) -> Result<DynTensor> {
    let shape = images.shape();
    let &[n, c, h, w] = shape.as_slice() else {
        bail!("expects images [n, channels, height, width], got {shape:?}");
    };
    if n == 0 || h == 0 || w == 0 {
        bail!("expects a non-empty batch of images, got {shape:?}");
    }
    let x = images.detach();
    let x = match (c, channels) {
        (a, b) if a == b => x,
        (3, 1) => {
            let mut grey: Option<DynTensor> = None;
            for (k, wgt) in [0.299, 0.587, 0.114].into_iter().enumerate() {
                let part = x.clone().narrow(1, k, 1)?.mul_scalar(wgt);
                grey = Some(match grey {
                    None => part,
                    Some(g) => g.binary(part, BinOp::Add)?,
                });
            }
            grey.expect("three channels")
        }
        (1, 3) => x.repeat(&[1, 3, 1, 1])?,
        _ => bail!("expects images with 1 or 3 channels, got {c} (shape {shape:?})"),
    };
    if (h, w) == (size, size) {
        return Ok(x);
    }
    let t = x.ranked::<4>("probe input")?;
    let out = if h % size == 0 && w % size == 0 {
        avg_pool2d(t, AvgPoolOptions::new([h / size, w / size]))
    } else {
        let opts = InterpolateOptions::new(InterpolateMode::Bilinear)
            .with_align_corners(false)
            .with_output_size([size, size]);
        interpolate(t, opts)
    };
    Ok(DynTensor::new(out))
}
