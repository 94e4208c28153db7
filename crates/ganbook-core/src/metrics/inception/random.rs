//! Deterministic pseudo-random weights and images for the FID Inception-v3, the same bit for
//! bit as tests/fixtures/make_inception_fixtures.py makes them for pytorch-fid: the parity
//! test and `ganbook bench inception` use them where the real weights are not available.
//!
//! For a tensor called `name` with n values:
//! `seed = FNV-1a 64(name)`, `u_i = (splitmix64(seed + (i + 1) * GOLDEN) >> 40) / 2^24` in
//! [0, 1), and `value_i = f32(offset + f32(scale * f32(2 u_i - 1)))`, with (scale, offset)
//! chosen per kind of tensor by [`spread`] so that activations stay O(1).

use super::weights::Source;
use crate::bail;
use crate::error::Result;
use crate::interop::torch::StateDict;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn fnv1a64(name: &str) -> u64 {
    name.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01B3)
    })
}

fn splitmix64_mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// `n` values `k / 2^24` in [0, 1) for `name`.
pub fn uniform(name: &str, n: usize) -> Vec<f32> {
    let seed = fnv1a64(name);
    (0..n as u64)
        .map(|i| {
            let z = splitmix64_mix(seed.wrapping_add((i + 1).wrapping_mul(GOLDEN)));
            (z >> 40) as f32 / (1u32 << 24) as f32
        })
        .collect()
}

/// `n` values `offset + scale * (2u - 1)` in float32, as the fixture script computes them.
pub fn values(name: &str, n: usize, scale: f32, offset: f32) -> Vec<f32> {
    uniform(name, n)
        .into_iter()
        .map(|u| offset + scale * (2.0 * u - 1.0))
        .collect()
}

/// (scale, offset) of a tensor of the network, by the end of its name: He-uniform
/// convolutions, batch-norm gamma in [0.9, 1.1), beta and running mean in [-0.1, 0.1),
/// running variance in [0.5, 1.5).
pub fn spread(name: &str, shape: &[usize]) -> Result<(f32, f32)> {
    Ok(if name.ends_with("conv.weight") && shape.len() == 4 {
        let fan_in = shape[1] * shape[2] * shape[3];
        ((6.0 / fan_in as f64).sqrt() as f32, 0.0)
    } else if name == "fc.weight" && shape.len() == 2 {
        ((3.0 / shape[1] as f64).sqrt() as f32, 0.0)
    } else if name.ends_with("bn.weight") {
        (0.1, 1.0)
    } else if name.ends_with("running_var") {
        (0.5, 1.0)
    } else if ["bn.bias", "running_mean", "fc.bias"]
        .iter()
        .any(|s| name.ends_with(s))
    {
        (0.1, 0.0)
    } else {
        bail!("no random rule for tensor '{name}' {shape:?}")
    })
}

/// The random tensors, generated on request; remembers them as a state dict.
#[derive(Default)]
pub struct RandomSource {
    pub dict: StateDict,
}

impl Source for RandomSource {
    fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>> {
        let (scale, offset) = spread(name, shape)?;
        let v = values(name, shape.iter().product(), scale, offset);
        self.dict
            .insert(name.to_string(), (shape.to_vec(), v.clone()));
        Ok(v)
    }

    fn origin(&self) -> &str {
        "random weights"
    }
}

/// A random image `[shape]` in [-1, 1): `2u - 1` for `name` (pytorch-fid gets `u`).
pub fn image(name: &str, shape: &[usize]) -> Vec<f32> {
    values(name, shape.iter().product(), 1.0, 0.0)
}
