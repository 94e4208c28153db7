//! 2-D toy data and its mode-coverage measure, for the first experiment and for teaching.

use super::convert::call;
use super::def;
use crate::data::toy2d;
use crate::metrics::mode_coverage;
use crate::tensor::DynTensor;
use rhai::{Dynamic, Engine, FLOAT, INT, Map};

pub fn register(e: &mut Engine) {
    def(
        e,
        "toy2d",
        "toy2d(name, n) -> Tensor\nn points [n, 2] from \"ring8\" (8 Gaussians on a circle of radius 2, std 0.02) or \"grid25\" (25 Gaussians on {-4..4 step 2}^2, std 0.05).",
        |name: &str, n: INT| {
            call("toy2d", || {
                if n < 1 {
                    return Err(crate::err!("n must be at least 1, got {n}"));
                }
                toy2d::sample(name, n as usize)
            })
        },
    );
    def(
        e,
        "mode_coverage",
        "mode_coverage(samples, name) -> #{modes, total_modes, high_quality, reverse_kl}\nHow many modes of the named toy mixture the [n, 2] samples cover, and the share of samples within 3 std of their nearest mode (VEEGAN/PacGAN), and reverse_kl: KL(q || uniform) in nats of the high-quality samples' share q at each mode (PacGAN; 0 is perfectly balanced).",
        |x: DynTensor, name: &str| {
            call("mode_coverage", || {
                let shape = x.shape();
                if shape.len() != 2 || shape[1] != 2 {
                    return Err(crate::err!("expects samples [n, 2], got {shape:?}"));
                }
                let c = mode_coverage::coverage(&x.to_vec(), &toy2d::mixture(name)?)?;
                let mut m = Map::new();
                m.insert("modes".into(), Dynamic::from(c.modes as INT));
                m.insert("total_modes".into(), Dynamic::from(c.total_modes as INT));
                m.insert(
                    "high_quality".into(),
                    Dynamic::from(c.high_quality as FLOAT),
                );
                m.insert("reverse_kl".into(), Dynamic::from(c.reverse_kl as FLOAT));
                Ok(m)
            })
        },
    );
}
