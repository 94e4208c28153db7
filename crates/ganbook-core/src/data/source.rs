//! `Source`: what a data set is underneath a [`Dataset`](super::dataset::Dataset) — a
//! numbered collection of images [C, H, W] in [0, 1], maybe with labels and attributes.
//! Generated sources draw image `i` from its own RNG, so any image is cheap and reproducible.

use crate::error::Result;
use rand::SeedableRng;
use rand::rngs::StdRng;

pub trait Source: Send + Sync {
    fn len(&self) -> usize;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// [C, H, W] of every image.
    fn shape(&self) -> [usize; 3];
    /// Image `i` (< len) as C*H*W values in [0, 1], planar.
    fn image(&self, i: usize) -> Result<Vec<f32>>;
    /// The class index of image `i`, where the data has classes.
    fn label(&self, _i: usize) -> Option<usize> {
        None
    }
    /// Class names, index = label (empty: no classes).
    fn classes(&self) -> Vec<String> {
        Vec::new()
    }
    /// Names of the attribute vector's entries (empty: no attributes).
    fn attribute_names(&self) -> Vec<String> {
        Vec::new()
    }
    fn attributes(&self, _i: usize) -> Option<Vec<f32>> {
        None
    }
    /// One line for printing: kind, count, shape.
    fn describe(&self) -> String;
    /// Which built-in procedural data this is ("digits", "faces"), for measures that have
    /// a default feature network for it (the probe).
    fn builtin(&self) -> Option<&'static str> {
        None
    }
}

/// The RNG of item `i` of stream `stream` under `seed`: independent of every other item.
pub fn item_rng(seed: u64, stream: u64, i: u64) -> StdRng {
    let mut z = seed
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add(stream.wrapping_mul(0xD1B5_4A32_D192_ED03))
        .wrapping_add(i.wrapping_mul(0x8CB9_2BA7_2F3D_8DD7));
    z = (z ^ (z >> 31)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    StdRng::seed_from_u64(z ^ (z >> 29))
}

/// Planar RGB [3, H, W] as `channels` (1: luminance, 3: as is).
pub fn to_channels(rgb: Vec<f32>, plane: usize, channels: usize) -> Vec<f32> {
    if channels == 3 {
        return rgb;
    }
    (0..plane)
        .map(|k| 0.299 * rgb[k] + 0.587 * rgb[plane + k] + 0.114 * rgb[2 * plane + k])
        .collect()
}
