//! `diff_augment(x, "color,translation,cutout")`: DiffAugment for GANs on small data sets.

use super::convert::call;
use super::def;
use crate::bail;
use crate::nn::diff_augment::{diff_augment, draw, parse_policy};
use crate::tensor::DynTensor;
use rhai::Engine;

pub fn register(e: &mut Engine) {
    def(
        e,
        "diff_augment",
        "diff_augment(x, policy) -> Tensor\nDiffAugment (Zhao et al. 2020) of images [N, C, H, W]: a random augmentation per sample, differentiable in x, so G learns through it. Apply it to every batch D sees, real and fake, in both D's and G's steps: D(diff_augment(real, \"color,translation,cutout\")). policy: a comma-separated subset of \"color\" (brightness, saturation, contrast), \"translation\" (shift by up to 1/8 of the side, zero fill), \"cutout\" (a zeroed square of half the side). Draws come from the session's seed.",
        |x: DynTensor, policy: &str| {
            call("diff_augment", || {
                let transforms = parse_policy(policy)?;
                let &[n, _, h, w] = x.shape().as_slice() else {
                    bail!("expects images [N, C, H, W], got {:?}", x.shape())
                };
                diff_augment(x, &transforms, &draw(n, h, w))
            })
        },
    );
}
